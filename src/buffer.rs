//! Typed-array memory shared between the Lisp and a host language without copying.
//!
//! A [`SharedBuffer`] is a typed run of elements at a fixed address. Its memory is owned either
//! by Rust (a Lisp `(float32array ...)`) or by a foreign object (an ndarray viewed by `->lisp`),
//! which an opaque keep-alive token holds on to. Both sides hold an `Rc` to the buffer — the Lisp
//! value, and the Python object exposing it through the buffer protocol — so the memory lives as
//! long as either side uses it, whichever lets go first.
//!
//! A leaf module: the runtime (typed arrays are core values) and the bridge (which hands the
//! memory to Python) both use it, and it imports neither.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

/// Element types of typed arrays, with NumPy's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    F32,
    F64,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
}

pub const ALL_DTYPES: [DType; 10] = [
    DType::F32,
    DType::F64,
    DType::I8,
    DType::I16,
    DType::I32,
    DType::I64,
    DType::U8,
    DType::U16,
    DType::U32,
    DType::U64,
];

impl DType {
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::U8 => "uint8",
            DType::U16 => "uint16",
            DType::U32 => "uint32",
            DType::U64 => "uint64",
        }
    }

    pub fn from_name(name: &str) -> Option<DType> {
        ALL_DTYPES.iter().copied().find(|d| d.name() == name)
    }

    /// From NumPy's kind character and item size.
    pub fn from_kind(kind: u8, itemsize: usize) -> Option<DType> {
        Some(match (kind, itemsize) {
            (b'f', 4) => DType::F32,
            (b'f', 8) => DType::F64,
            (b'i', 1) => DType::I8,
            (b'i', 2) => DType::I16,
            (b'i', 4) => DType::I32,
            (b'i', 8) => DType::I64,
            (b'u', 1) => DType::U8,
            (b'u', 2) => DType::U16,
            (b'u', 4) => DType::U32,
            (b'u', 8) => DType::U64,
            _ => return None,
        })
    }

    pub fn size(self) -> usize {
        match self {
            DType::I8 | DType::U8 => 1,
            DType::I16 | DType::U16 => 2,
            DType::F32 | DType::I32 | DType::U32 => 4,
            DType::F64 | DType::I64 | DType::U64 => 8,
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }
}

/// One element, widened.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Elem {
    Int(i128),
    Float(f64),
}

enum Owner {
    /// Rust memory, as `u64`s so every element type is aligned; freed by `Drop`. Kept as the
    /// raw pointer `Box::into_raw` gave (not as a `Box`), so element access through `ptr` never
    /// aliases a unique owner.
    Rust(NonNull<[u64]>),
    /// A foreign object (the ndarray) kept alive by this token; dropping it lets go (for the
    /// embedded backend: a handle release queued for the next request).
    Foreign(#[allow(dead_code)] Box<dyn std::any::Any>),
}

/// A typed array too large to allocate: its size overflows, or the allocator refused it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllocError {
    pub len: usize,
    pub dtype: DType,
    /// The size in bytes, when it does not overflow.
    pub bytes: Option<usize>,
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot allocate an array of {} {} elements",
            self.len,
            self.dtype.name()
        )?;
        match self.bytes {
            Some(b) => write!(f, " ({b} bytes)"),
            None => write!(f, " (its size in bytes overflows)"),
        }
    }
}

/// Identifies a buffer in requests: the IR names typed-array memory by id, never by pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BufferId(pub u64);

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

pub struct SharedBuffer {
    id: BufferId,
    /// Where the elements are: fixed for the buffer's life, except that [`SharedBuffer::relocate`]
    /// may move them once, before anything outside Rust has seen the address.
    ptr: Cell<*mut u8>,
    len: usize,
    dtype: DType,
    readonly: bool,
    owner: RefCell<Owner>,
    /// Python objects currently exposing this memory (diagnostics and tests).
    pub exports: Cell<usize>,
}

impl fmt::Debug for SharedBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SharedBuffer({} x {})", self.len, self.dtype.name())
    }
}

impl PartialEq for SharedBuffer {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Drop for SharedBuffer {
    fn drop(&mut self) {
        if let Owner::Rust(words) = *self.owner.get_mut() {
            // SAFETY: `words` came from `Box::into_raw` in `zeroed` and is freed only here.
            drop(unsafe { Box::from_raw(words.as_ptr()) });
        }
    }
}

impl SharedBuffer {
    /// A zeroed array of `len` elements, owned by Rust. Panics if the memory cannot be had;
    /// [`SharedBuffer::try_zeroed`] reports that instead.
    pub fn zeroed(dtype: DType, len: usize) -> SharedBuffer {
        match SharedBuffer::try_zeroed(dtype, len) {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        }
    }

    /// A zeroed array of `len` elements, owned by Rust, or an error when its size overflows or
    /// the allocator refuses it (never an abort). The memory comes zeroed from the allocator
    /// (`calloc`), so a large array costs no page until it is written.
    pub fn try_zeroed(dtype: DType, len: usize) -> Result<SharedBuffer, AllocError> {
        let too_large = || AllocError {
            len,
            dtype,
            bytes: len.checked_mul(dtype.size()),
        };
        let bytes = len.checked_mul(dtype.size()).ok_or_else(too_large)?;
        let words = bytes.div_ceil(8).max(1);
        let layout = std::alloc::Layout::array::<u64>(words).map_err(|_| too_large())?;
        // SAFETY: `layout` has a non-zero size (at least one word).
        let raw = unsafe { std::alloc::alloc_zeroed(layout) } as *mut u64;
        if raw.is_null() {
            return Err(too_large());
        }
        // SAFETY: `raw` was allocated by the global allocator with the layout of `[u64; words]`
        // and is zeroed, so it is a valid initialized `Vec` of `words` elements at capacity.
        let storage = unsafe { Vec::from_raw_parts(raw, words, words) }.into_boxed_slice();
        // SAFETY: `Box::into_raw` never returns null.
        let words = unsafe { NonNull::new_unchecked(Box::into_raw(storage)) };
        Ok(SharedBuffer {
            id: next_id(),
            ptr: Cell::new(words.as_ptr() as *mut u8),
            len,
            dtype,
            readonly: false,
            owner: RefCell::new(Owner::Rust(words)),
            exports: Cell::new(0),
        })
    }

    /// Memory owned by a foreign object that `keep_alive` holds on to.
    ///
    /// # Safety
    /// `ptr` must point to `len` elements of `dtype`, valid for as long as `keep_alive` lives
    /// (it is dropped with this buffer).
    pub unsafe fn borrowed(
        ptr: *mut u8,
        len: usize,
        dtype: DType,
        readonly: bool,
        keep_alive: Box<dyn std::any::Any>,
    ) -> SharedBuffer {
        SharedBuffer {
            id: next_id(),
            ptr: Cell::new(ptr),
            len,
            dtype,
            readonly,
            owner: RefCell::new(Owner::Foreign(keep_alive)),
            exports: Cell::new(0),
        }
    }

    /// The id requests name this buffer by (unique in the process).
    pub fn id(&self) -> BufferId {
        self.id
    }

    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn dtype(&self) -> DType {
        self.dtype
    }
    pub fn readonly(&self) -> bool {
        self.readonly
    }
    pub fn byte_len(&self) -> usize {
        self.len * self.dtype.size()
    }
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.get()
    }

    /// Moves the elements into memory that `keep_alive` owns — shared memory another process
    /// maps, for the workers backend — keeping the array's identity (every Lisp reference sees
    /// the new memory). Only Rust-owned memory that no Python object exposes can move.
    ///
    /// # Safety
    /// `ptr` must be writable for `byte_len()` bytes, aligned to 8, not overlapping this buffer,
    /// and valid for as long as `keep_alive` lives (it is dropped with this buffer).
    pub unsafe fn relocate(
        &self,
        ptr: *mut u8,
        keep_alive: Box<dyn std::any::Any>,
    ) -> Result<(), String> {
        if self.exports.get() > 0 {
            return Err("this array's memory is in use by Python objects".into());
        }
        let mut owner = self.owner.borrow_mut();
        let Owner::Rust(words) = *owner else {
            return Err("this array's memory belongs to a Python object".into());
        };
        // SAFETY: both regions hold byte_len() bytes (caller; constructors) and are disjoint.
        unsafe { std::ptr::copy_nonoverlapping(self.ptr.get(), ptr, self.byte_len()) };
        self.ptr.set(ptr);
        *owner = Owner::Foreign(keep_alive);
        // SAFETY: `words` came from `Box::into_raw` in `try_zeroed`; nothing points into it now.
        drop(unsafe { Box::from_raw(words.as_ptr()) });
        Ok(())
    }

    /// Element `i`, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<Elem> {
        if i >= self.len {
            return None;
        }
        // SAFETY: i < len and the memory is valid for len elements of dtype (constructors);
        // unaligned reads keep this sound even for odd views.
        unsafe {
            let p = self.ptr.get().add(i * self.dtype.size());
            Some(match self.dtype {
                DType::F32 => Elem::Float(p.cast::<f32>().read_unaligned() as f64),
                DType::F64 => Elem::Float(p.cast::<f64>().read_unaligned()),
                DType::I8 => Elem::Int(p.cast::<i8>().read_unaligned() as i128),
                DType::I16 => Elem::Int(p.cast::<i16>().read_unaligned() as i128),
                DType::I32 => Elem::Int(p.cast::<i32>().read_unaligned() as i128),
                DType::I64 => Elem::Int(p.cast::<i64>().read_unaligned() as i128),
                DType::U8 => Elem::Int(p.read() as i128),
                DType::U16 => Elem::Int(p.cast::<u16>().read_unaligned() as i128),
                DType::U32 => Elem::Int(p.cast::<u32>().read_unaligned() as i128),
                DType::U64 => Elem::Int(p.cast::<u64>().read_unaligned() as i128),
            })
        }
    }

    /// Stores `v` at `i`. Errors: past the end, read-only memory, a value the element type
    /// cannot hold (an integer out of range, a float into an integer array).
    pub fn set(&self, i: usize, v: Elem) -> Result<(), String> {
        if i >= self.len {
            return Err(format!(
                "index {i} out of range for an array of {}",
                self.len
            ));
        }
        if self.readonly {
            return Err("this array is read-only (its NumPy memory is not writeable)".into());
        }
        let int = |lo: i128, hi: i128| match v {
            Elem::Int(x) if (lo..=hi).contains(&x) => Ok(x),
            Elem::Int(x) => Err(format!("{x} does not fit in {}", self.dtype.name())),
            Elem::Float(_) => Err(format!("{} holds integers, not floats", self.dtype.name())),
        };
        let float = match v {
            Elem::Int(x) => x as f64,
            Elem::Float(f) => f,
        };
        // SAFETY: bounds checked above; the memory is writable (not readonly) and valid.
        unsafe {
            let p = self.ptr.get().add(i * self.dtype.size());
            match self.dtype {
                DType::F32 => p.cast::<f32>().write_unaligned(float as f32),
                DType::F64 => p.cast::<f64>().write_unaligned(float),
                DType::I8 => p
                    .cast::<i8>()
                    .write_unaligned(int(i8::MIN as i128, i8::MAX as i128)? as i8),
                DType::I16 => p
                    .cast::<i16>()
                    .write_unaligned(int(i16::MIN as i128, i16::MAX as i128)? as i16),
                DType::I32 => p
                    .cast::<i32>()
                    .write_unaligned(int(i32::MIN as i128, i32::MAX as i128)? as i32),
                DType::I64 => p
                    .cast::<i64>()
                    .write_unaligned(int(i64::MIN as i128, i64::MAX as i128)? as i64),
                DType::U8 => p.write(int(0, u8::MAX as i128)? as u8),
                DType::U16 => p
                    .cast::<u16>()
                    .write_unaligned(int(0, u16::MAX as i128)? as u16),
                DType::U32 => p
                    .cast::<u32>()
                    .write_unaligned(int(0, u32::MAX as i128)? as u32),
                DType::U64 => p
                    .cast::<u64>()
                    .write_unaligned(int(0, u64::MAX as i128)? as u64),
            }
        }
        Ok(())
    }
}

fn next_id() -> BufferId {
    BufferId(NEXT_ID.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_round_trip_and_check_range() {
        let b = SharedBuffer::zeroed(DType::U8, 3);
        b.set(1, Elem::Int(255)).unwrap();
        assert_eq!(b.get(1), Some(Elem::Int(255)));
        assert!(b.set(0, Elem::Int(256)).is_err());
        assert!(b.set(3, Elem::Int(1)).is_err());
        assert!(b.set(0, Elem::Float(1.5)).is_err());
        let f = SharedBuffer::zeroed(DType::F32, 2);
        f.set(0, Elem::Int(2)).unwrap();
        assert_eq!(f.get(0), Some(Elem::Float(2.0)));
        assert_eq!(f.get(2), None);
    }
}
