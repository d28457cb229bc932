//! Typed arrays in shared memory, so that a worker sees the Lisp's array and not a copy: the
//! first time an array goes to a worker its elements move into a `memfd` mapping (the array
//! keeps its identity, see `SharedBuffer::relocate`), and the worker maps the same file through
//! `/proc/<polyglot's pid>/fd/<fd>`. Writes on either side are seen by the other, as with the
//! embedded backend. The mapping and its file go when the Lisp array does; the worker keeps its
//! own mapping while its ndarrays use it.
//!
//! Linux only (memfd and `/proc`); elsewhere arrays are copied.

use crate::buffer::SharedBuffer;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A `memfd` mapped into this process; unmapped and closed when dropped.
struct Mapping {
    ptr: *mut libc::c_void,
    bytes: usize,
    _fd: OwnedFd,
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the region was mapped by `share` with this length and is unmapped only here.
        unsafe { libc::munmap(self.ptr, self.bytes) };
    }
}

/// Moves `b`'s elements into shared memory; the file descriptor a worker maps it by.
#[cfg(target_os = "linux")]
pub fn share(b: &SharedBuffer) -> Result<i32, String> {
    let bytes = b.byte_len().max(1);
    let os = |what: &str| format!("{what}: {}", std::io::Error::last_os_error());
    // SAFETY: a NUL-terminated name; the flags are valid.
    let fd = unsafe { libc::memfd_create(c"polyglot-array".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(os("memfd_create"));
    }
    // SAFETY: `fd` was just created and is owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: ftruncate and mmap on our own fd; the mapping is checked before use.
    let ptr = unsafe {
        if libc::ftruncate(fd.as_raw_fd(), bytes as libc::off_t) != 0 {
            return Err(os("ftruncate"));
        }
        libc::mmap(
            std::ptr::null_mut(),
            bytes,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd.as_raw_fd(),
            0,
        )
    };
    if ptr == libc::MAP_FAILED {
        return Err(os("mmap"));
    }
    // Huge pages where the system allows them for shared memory (`shmem_enabled` "advise"):
    // with 4 KiB pages a NumPy sum over shared memory runs ~1.3× slower than over anonymous
    // memory here (TLB misses). A hint only: its failure changes nothing.
    // SAFETY: advice on the region just mapped.
    unsafe { libc::madvise(ptr, bytes, libc::MADV_HUGEPAGE) };
    let raw = fd.as_raw_fd();
    let mapping = Mapping {
        ptr,
        bytes,
        _fd: fd,
    };
    // SAFETY: the mapping is page-aligned, writable, holds at least byte_len() bytes, is new
    // (so disjoint from the buffer) and lives as long as the token the buffer keeps.
    unsafe { b.relocate(ptr.cast(), Box::new(mapping)) }?;
    Ok(raw)
}

#[cfg(not(target_os = "linux"))]
pub fn share(_b: &SharedBuffer) -> Result<i32, String> {
    Err("shared memory for workers needs Linux".into())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::buffer::{DType, Elem};

    #[test]
    fn a_shared_array_keeps_its_elements_and_another_mapping_sees_writes() {
        let b = SharedBuffer::zeroed(DType::F64, 4);
        b.set(1, Elem::Float(2.5)).unwrap();
        let fd = share(&b).unwrap();
        assert_eq!(b.get(1), Some(Elem::Float(2.5)));
        // A second mapping of the same file, as a worker makes through /proc.
        let path = format!("/proc/self/fd/{fd}");
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap();
        // SAFETY: mapping our own file of at least 32 bytes.
        let other = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                32,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                f.as_raw_fd(),
                0,
            )
        };
        assert_ne!(other, libc::MAP_FAILED);
        // SAFETY: 32 mapped bytes, f64-aligned (page-aligned).
        unsafe {
            assert_eq!(*other.cast::<f64>().add(1), 2.5);
            *other.cast::<f64>().add(3) = 9.0;
        }
        assert_eq!(b.get(3), Some(Elem::Float(9.0)));
        // Moving twice is refused: the memory is no longer Rust's.
        assert!(share(&b).is_err());
        // SAFETY: unmapping what was mapped above.
        unsafe { libc::munmap(other, 32) };
    }
}
