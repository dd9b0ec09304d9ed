//! `#[goroutines::main]` and `#[goroutines::test]` accept the return types
//! a plain `main` or test does, `Box<dyn Error>` included.

use std::error::Error;

#[goroutines::test]
fn a_test_may_return_a_boxed_error() -> Result<(), Box<dyn Error>> {
    let n: i32 = "5".parse()?;
    assert_eq!(n, 5);
    Ok(())
}

// `#[goroutines::main]` on a fn of another name, to call it here.
#[goroutines::main]
fn fallible_main() -> Result<(), Box<dyn Error>> {
    let _: i32 = "five".parse()?;
    Ok(())
}

#[test]
fn main_returning_err_prints_it_as_main_would() {
    const CHILD: &str = "GOROUTINES_ENTRY_CHILD";
    if std::env::var_os(CHILD).is_some() {
        // What the Rust runtime does with main's value: `Error: {:?}`.
        let _ = std::process::Termination::report(fallible_main());
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["main_returning_err_prints_it_as_main_would", "--exact", "--nocapture"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Error: ParseIntError { kind: InvalidDigit }"), "{err}");
}
