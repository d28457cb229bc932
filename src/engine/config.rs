//! [`EngineConfig`]: everything an engine needs to start, built by any front-end (the CLI from
//! its flags, a kernel from its kernelspec, an embedder by hand) without clap.

use crate::bridge::{BackendConfig, BackendKind};
use std::path::PathBuf;
use std::time::Duration;

/// The settings of one engine.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Where Python calls run.
    pub backend: BackendKind,
    /// The Python environment (`--python`); `None`: `$VIRTUAL_ENV`, else `python3` on PATH.
    pub python: Option<PathBuf>,
    /// Worker processes (workers backend).
    pub workers: Option<usize>,
    /// Requests in flight per worker before the sender waits (workers backend).
    pub max_inflight: Option<usize>,
    /// Typed arrays smaller than this many bytes are copied into a worker's request instead of
    /// shared (`--shm-threshold`; 0, the default: every array is shared).
    pub shm_threshold: Option<usize>,
    /// The Ray cluster to join (`--ray-address`; `--backend ray`); `None`: a local Ray is
    /// started on demand and stopped at exit.
    pub ray_address: Option<String>,
    /// How long cached module and class attributes stay valid; zero turns caching off.
    pub attr_cache_ttl: Duration,
    /// Whether the interop builtins (`$py`, `py-eval`, ...) are installed. Off: the bare
    /// language, with no Python at all.
    pub python_enabled: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            backend: BackendKind::Embedded,
            python: None,
            workers: None,
            max_inflight: None,
            shm_threshold: None,
            ray_address: None,
            attr_cache_ttl: Duration::from_secs(1),
            python_enabled: true,
        }
    }
}

impl EngineConfig {
    /// Checks the settings; the message says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.workers == Some(0) || self.max_inflight == Some(0) {
            return Err("--workers and --max-inflight must be at least 1".into());
        }
        Ok(())
    }

    /// Whether this build can start the configured backend.
    pub fn backend_available(&self) -> bool {
        crate::bridge::available(self.backend)
    }

    /// The interpreter of the chosen environment (`--python`, `$VIRTUAL_ENV`, `python3`).
    pub fn python_executable(&self) -> Result<PathBuf, String> {
        crate::bridge::python_executable(self.python.as_deref())
    }

    pub(crate) fn backend_config(&self) -> BackendConfig {
        BackendConfig {
            kind: self.backend,
            python: self.python.clone(),
            attr_cache_ttl: self.attr_cache_ttl,
            workers: self.workers,
            max_inflight: self.max_inflight,
            shm_threshold: self.shm_threshold,
            ray_address: self.ray_address.clone(),
        }
    }
}
