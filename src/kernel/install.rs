//! `polyglot kernel install` / `uninstall`: the kernelspec Jupyter finds — kernel.json with
//! absolute paths to this binary and to the chosen Python (so the kernel starts the same under
//! JupyterHub, VS Code or a bare `jupyter lab`, whatever their PATH), and the logos.
//!
//! Where it goes (jupyter_client's search path): `--user` (the default) is
//! `$JUPYTER_DATA_DIR/kernels`, else `~/.local/share/jupyter/kernels` (`~/Library/Jupyter` on
//! macOS); `--sys-prefix` is the chosen Python's `sys.prefix/share/jupyter/kernels`;
//! `--prefix DIR` is `DIR/share/jupyter/kernels`.

use serde_json::json;
use std::path::{Path, PathBuf};

const LOGOS: &[(&str, &[u8])] = &[
    ("logo-32x32.png", include_bytes!("logo/logo-32x32.png")),
    ("logo-64x64.png", include_bytes!("logo/logo-64x64.png")),
    ("logo-svg.svg", include_bytes!("logo/logo-svg.svg")),
];

/// Where a kernelspec is installed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    User,
    SysPrefix,
    Prefix(PathBuf),
}

/// The `kernels` directory for a location.
pub fn kernels_dir(location: &Location, python: &Path) -> Result<PathBuf, String> {
    Ok(match location {
        Location::User => user_data_dir()?.join("kernels"),
        Location::SysPrefix => sys_prefix(python)?.join("share/jupyter/kernels"),
        Location::Prefix(dir) => absolute(dir).join("share/jupyter/kernels"),
    })
}

fn user_data_dir() -> Result<PathBuf, String> {
    if let Some(d) = std::env::var_os("JUPYTER_DATA_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or("HOME is not set; use --prefix DIR or --sys-prefix")?;
    let home = PathBuf::from(home);
    if cfg!(target_os = "macos") {
        return Ok(home.join("Library/Jupyter"));
    }
    Ok(
        match std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
            Some(x) => PathBuf::from(x).join("jupyter"),
            None => home.join(".local/share/jupyter"),
        },
    )
}

/// Python's `sys.prefix` (the venv, for a venv's interpreter).
fn sys_prefix(python: &Path) -> Result<PathBuf, String> {
    let out = std::process::Command::new(python)
        .args(["-c", "import sys; print(sys.prefix)"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} could not tell its sys.prefix: {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(PathBuf::from(
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
    ))
}

/// The Python version (`3.11`), for the display name.
fn python_version(python: &Path) -> Option<String> {
    let out = std::process::Command::new(python)
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `path` made absolute against the working directory, keeping symlinks (a venv's `python` is
/// a symlink whose target is outside the venv).
pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    std::env::current_dir()
        .map(|d| d.join(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// A kernel name Jupyter accepts: ASCII letters, digits, `-`, `.`, `_`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}

/// The kernel.json text; `extra` are flags the kernel runs with (`--backend workers`).
pub fn kernel_json(binary: &Path, python: &Path, display_name: &str, extra: &[String]) -> String {
    let mut argv: Vec<String> = vec![
        binary.to_string_lossy().into_owned(),
        "--python".into(),
        python.to_string_lossy().into_owned(),
    ];
    argv.extend(extra.iter().cloned());
    argv.extend(["kernel", "--connection-file", "{connection_file}"].map(String::from));
    let spec = json!({
        "argv": argv,
        "display_name": display_name,
        "language": "polyglot",
        "interrupt_mode": "signal",
        // Figures render off-screen and show after each cell.
        "env": {"MPLBACKEND": "agg"},
        "metadata": {"debugger": false},
    });
    serde_json::to_string_pretty(&spec).expect("JSON values serialize")
}

/// Writes the kernelspec; returns its directory.
pub fn install(
    location: &Location,
    name: &str,
    display_name: Option<&str>,
    python: &Path,
    extra: &[String],
) -> Result<PathBuf, String> {
    if !valid_name(name) {
        return Err(format!(
            "kernel name {name:?}: use ASCII letters, digits, '-', '.' and '_'"
        ));
    }
    let python = absolute(python);
    let binary =
        std::env::current_exe().map_err(|e| format!("cannot find this program's path: {e}"))?;
    let display = match display_name {
        Some(d) => d.to_string(),
        None => match python_version(&python) {
            Some(v) => format!("polyglot (Python {v})"),
            None => "polyglot".to_string(),
        },
    };
    let dir = kernels_dir(location, &python)?.join(name);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let write = |file: &str, bytes: &[u8]| {
        let path = dir.join(file);
        std::fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    write(
        "kernel.json",
        kernel_json(&binary, &python, &display, extra).as_bytes(),
    )?;
    for (file, bytes) in LOGOS {
        write(file, bytes)?;
    }
    Ok(dir)
}

/// Removes the kernelspec; returns the directory removed.
pub fn uninstall(location: &Location, name: &str, python: &Path) -> Result<PathBuf, String> {
    if !valid_name(name) {
        return Err(format!("kernel name {name:?} is not valid"));
    }
    let dir = kernels_dir(location, &absolute(python))?.join(name);
    if !dir.join("kernel.json").exists() {
        return Err(format!("no kernelspec at {}", dir.display()));
    }
    std::fs::remove_dir_all(&dir).map_err(|e| format!("cannot remove {}: {e}", dir.display()))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(valid_name("polyglot"));
        assert!(valid_name("polyglot-3.11_x"));
        assert!(!valid_name("poly glot"));
        assert!(!valid_name(""));
        assert!(!valid_name("../x"));
    }

    #[test]
    fn kernel_json_has_absolute_paths_and_the_connection_file() {
        let text = kernel_json(
            Path::new("/opt/bin/polyglot"),
            Path::new("/venv/bin/python"),
            "polyglot (Python 3.11)",
            &["--backend".to_string(), "workers".to_string()],
        );
        let j: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(j["argv"][0], "/opt/bin/polyglot");
        assert_eq!(j["argv"][2], "/venv/bin/python");
        assert_eq!(j["argv"][3], "--backend");
        assert_eq!(j["argv"][7], "{connection_file}");
        assert_eq!(j["interrupt_mode"], "signal");
        assert_eq!(j["language"], "polyglot");
    }

    #[test]
    fn a_prefix_install_goes_under_share_jupyter() {
        let dir = kernels_dir(&Location::Prefix("/tmp/p".into()), Path::new("python3")).unwrap();
        assert_eq!(dir, PathBuf::from("/tmp/p/share/jupyter/kernels"));
    }
}
