//! The bridge to Python: the backend-neutral chain IR ([`ir`]), the
//! traits every backend implements ([`backend`]), the handle table ([`handles`]), Ctrl-C routing
//! ([`interrupt`]), the backends, and the one factory that chooses among them ([`start`]).
//! Nothing here imports the Lisp (reader, runtime, syntax, compile, interop): the Lisp side
//! converts its values to [`ir::WireValue`]s and back.

pub mod backend;
pub mod handles;
pub mod interrupt;
pub mod ir;

#[cfg(feature = "embedded")]
pub mod embedded;
#[cfg(any(
    all(unix, feature = "workers"),
    all(target_arch = "wasm32", feature = "pyodide")
))]
pub mod workers;

use backend::Backend;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

/// Where Python calls run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BackendKind {
    /// CPython inside this process (pyo3): fastest calls, zero-copy arrays.
    #[default]
    Embedded,
    /// A Python worker process, spoken to over pipes (docs/protocol.md).
    Workers,
    /// The same workers as Ray actors: a local Ray started on demand, or a cluster.
    Ray,
    /// The browser build: the workers' runtime in Pyodide, in the Lisp's own Web Worker.
    Pyodide,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Embedded => "embedded",
            BackendKind::Workers => "workers",
            BackendKind::Ray => "ray",
            BackendKind::Pyodide => "pyodide",
        }
    }
}

/// How to start a backend.
#[derive(Clone, Debug)]
pub struct BackendConfig {
    pub kind: BackendKind,
    /// The Python environment (`--python`); `None`: `$VIRTUAL_ENV`, else `python3` on PATH.
    pub python: Option<PathBuf>,
    /// How long cached module and class attributes are trusted.
    pub attr_cache_ttl: Duration,
    pub workers: Option<usize>,
    pub max_inflight: Option<usize>,
    pub shm_threshold: Option<usize>,
    /// The Ray cluster to join (`--ray-address`); `None`: start a local one.
    pub ray_address: Option<String>,
}

impl Default for BackendConfig {
    fn default() -> Self {
        BackendConfig {
            kind: BackendKind::Embedded,
            python: None,
            attr_cache_ttl: Duration::from_secs(1),
            workers: None,
            max_inflight: None,
            shm_threshold: None,
            ray_address: None,
        }
    }
}

/// Starts the backend the configuration names: the only code that names a concrete backend.
pub fn start(config: &BackendConfig) -> Result<Rc<dyn Backend>, String> {
    match config.kind {
        #[cfg(feature = "embedded")]
        BackendKind::Embedded => {
            let b =
                embedded::EmbeddedBackend::start(config.python.as_deref(), config.attr_cache_ttl)?;
            Ok(Rc::new(b))
        }
        #[cfg(not(feature = "embedded"))]
        BackendKind::Embedded => {
            Err("this polyglot was built without the embedded Python backend".into())
        }
        #[cfg(all(unix, feature = "workers"))]
        BackendKind::Workers => {
            let python = python_executable(config.python.as_deref())?;
            Ok(Rc::new(workers::WorkersBackend::start(
                python,
                workers::Settings::of(config),
            )?))
        }
        #[cfg(all(unix, feature = "workers"))]
        BackendKind::Ray => {
            let python = python_executable(config.python.as_deref())?;
            let mut settings = workers::Settings::of(config);
            settings.ray = Some(workers::RayLaunch {
                address: config.ray_address.clone(),
            });
            Ok(Rc::new(workers::WorkersBackend::start(python, settings)?))
        }
        #[cfg(not(all(unix, feature = "workers")))]
        BackendKind::Workers | BackendKind::Ray => {
            Err("this polyglot was built without the workers backend".into())
        }
        #[cfg(all(target_arch = "wasm32", feature = "pyodide"))]
        BackendKind::Pyodide => {
            // One Python in the page: the workers backend over it, a pool of one.
            let mut settings = workers::Settings::of(config);
            settings.workers = 1;
            Ok(Rc::new(workers::WorkersBackend::start(
                PathBuf::from("pyodide"),
                settings,
            )?))
        }
        #[cfg(not(all(target_arch = "wasm32", feature = "pyodide")))]
        BackendKind::Pyodide => Err("Pyodide is only available in the browser build".into()),
    }
}

/// Whether `kind` can be started by this build.
pub fn available(kind: BackendKind) -> bool {
    match kind {
        BackendKind::Embedded => cfg!(feature = "embedded"),
        BackendKind::Workers | BackendKind::Ray => cfg!(all(unix, feature = "workers")),
        BackendKind::Pyodide => cfg!(all(target_arch = "wasm32", feature = "pyodide")),
    }
}

/// The interpreter of the chosen environment (`--python`, `$VIRTUAL_ENV`, `python3`).
pub fn python_executable(explicit: Option<&Path>) -> Result<PathBuf, String> {
    #[cfg(feature = "embedded")]
    {
        embedded::choose_python(explicit)
    }
    #[cfg(not(feature = "embedded"))]
    {
        Ok(explicit.map_or_else(|| PathBuf::from("python3"), |p| p.to_path_buf()))
    }
}
