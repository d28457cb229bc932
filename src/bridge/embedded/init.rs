//! Starting the embedded interpreter: choosing the Python environment (`--python`, else
//! `$VIRTUAL_ENV`, else `python3` on PATH), refusing one whose Python version differs from the
//! libpython this binary links (asking the interpreter itself when neither a venv's
//! `pyvenv.cfg` nor its file name tells, so a program that is not a Python is refused), and
//! initialising CPython through PEP 587 `PyConfig` with
//! `program_name` set to the environment's interpreter, so that a venv's `pyvenv.cfg` is found
//! and its site-packages used.

use pyo3::ffi;
use std::ffi::CString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The `major.minor` of the libpython linked at build time.
pub const LINKED_VERSION: &str = env!("POLYGLOT_PYTHON_VERSION");

/// The interpreter path to hand CPython as `program_name`.
pub fn choose_python(explicit: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = explicit {
        let p = if p.is_dir() {
            // A venv directory given instead of its interpreter.
            p.join("bin/python3")
        } else {
            p.to_path_buf()
        };
        if !p.exists() {
            return Err(format!("--python {}: no such file", p.display()));
        }
        return Ok(p);
    }
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV").filter(|v| !v.is_empty()) {
        let venv = PathBuf::from(venv);
        for name in ["bin/python3", "bin/python"] {
            let p = venv.join(name);
            if p.exists() {
                return Ok(p);
            }
        }
        return Err(format!(
            "$VIRTUAL_ENV is {}, but it has no bin/python3",
            venv.display()
        ));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let p = dir.join("python3");
        if p.is_file() {
            return Ok(p);
        }
    }
    Err("no Python found: pass --python PATH, activate a venv, or put python3 on PATH".into())
}

/// The `major.minor` version of the environment, if it can be told without running it:
/// a venv's `pyvenv.cfg`, or a `python3.X` name.
pub fn environment_version(python: &Path) -> Option<String> {
    let bin = python.parent()?;
    let cfg = bin.parent()?.join("pyvenv.cfg");
    if let Ok(text) = std::fs::read_to_string(cfg) {
        for line in text.lines() {
            let (k, v) = line.split_once('=')?;
            let k = k.trim();
            if k == "version" || k == "version_info" {
                let mut parts = v.trim().split('.');
                return Some(format!("{}.{}", parts.next()?, parts.next()?));
            }
        }
    }
    let resolved = std::fs::canonicalize(python).unwrap_or_else(|_| python.to_path_buf());
    let name = resolved.file_name()?.to_str()?;
    let v = name.strip_prefix("python")?;
    (v.matches('.').count() == 1 && v.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .then(|| v.to_string())
}

/// How long asking an interpreter for its version may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// The `major.minor` version `python` reports when run, or why it is not a Python: used when
/// the environment does not tell ([`environment_version`]), so that any program given as
/// `--python` (`/bin/true`) is refused instead of lending its path to the linked libpython.
pub fn reported_version(python: &Path) -> Result<String, String> {
    let not_python = |why: String| {
        format!(
            "{} is not a Python interpreter: {why}\n\
             help: pass --python the python of a Python {LINKED_VERSION} environment (or the \
             environment's directory)",
            python.display()
        )
    };
    let mut child = Command::new(python)
        .args([
            "-S",
            "-c",
            "import sys; sys.stdout.write('%d.%d' % sys.version_info[:2])",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| not_python(format!("it cannot be run ({e})")))?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < PROBE_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(5))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(not_python(format!(
                    "asked for its version, it did not answer within {} s",
                    PROBE_TIMEOUT.as_secs()
                )));
            }
        }
    };
    let mut out = String::new();
    if let Some(mut pipe) = child.stdout.take() {
        let _ = pipe.read_to_string(&mut out);
    }
    if !status.success() {
        return Err(not_python(format!(
            "asked for its version, it failed ({status})"
        )));
    }
    let out = out.trim();
    let is_version = out.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.chars().all(|c| c.is_ascii_digit())
            && b.chars().all(|c| c.is_ascii_digit())
    });
    if is_version {
        Ok(out.to_string())
    } else if out.is_empty() {
        Err(not_python(
            "asked for its version, it printed nothing".into(),
        ))
    } else {
        Err(not_python(format!(
            "asked for its version, it printed {out:?}"
        )))
    }
}

/// Initialises CPython for `python` (once per process) and releases the GIL.
pub fn initialize(python: &Path) -> Result<(), String> {
    let v = match environment_version(python) {
        Some(v) => v,
        None => reported_version(python)?,
    };
    if v != LINKED_VERSION {
        return Err(format!(
            "{} is Python {v}, but this polyglot is built against Python {LINKED_VERSION}\n\
             help: use a Python {LINKED_VERSION} environment (--python), or rebuild polyglot \
             with PYO3_PYTHON pointing at a Python {v}",
            python.display()
        ));
    }
    // SAFETY: plain C-API initialisation on this thread, before any other Python use; the
    // config struct is initialised by PyConfig_InitPythonConfig and cleared after use.
    unsafe {
        if ffi::Py_IsInitialized() != 0 {
            return Ok(());
        }
        let mut config = std::mem::MaybeUninit::<ffi::PyConfig>::zeroed();
        ffi::PyConfig_InitPythonConfig(config.as_mut_ptr());
        let mut config = config.assume_init();
        // Our own SIGINT handler forwards Ctrl-C to Python only while Python runs.
        config.install_signal_handlers = 0;
        // Unbuffered stdio: Python's prints interleave in order with the Lisp's own output.
        config.buffered_stdio = 0;
        config.parse_argv = 0;
        let program = CString::new(python.as_os_str().as_encoded_bytes())
            .map_err(|_| "the Python path contains a NUL byte".to_string())?;
        let status =
            ffi::PyConfig_SetBytesString(&mut config, &mut config.program_name, program.as_ptr());
        if ffi::PyStatus_Exception(status) != 0 {
            ffi::PyConfig_Clear(&mut config);
            return Err(status_message(&status));
        }
        let status = ffi::Py_InitializeFromConfig(&config);
        ffi::PyConfig_Clear(&mut config);
        if ffi::PyStatus_Exception(status) != 0 {
            return Err(format!(
                "Python failed to start: {}",
                status_message(&status)
            ));
        }
        ffi::PyEval_SaveThread();
    }
    Ok(())
}

fn status_message(status: &ffi::PyStatus) -> String {
    if status.err_msg.is_null() {
        return "unknown error".into();
    }
    // SAFETY: err_msg is a NUL-terminated static string when set.
    unsafe { std::ffi::CStr::from_ptr(status.err_msg) }
        .to_string_lossy()
        .into_owned()
}
