//! Misuses of the macros that must not compile, each with the error it
//! must give: `tests/ui/<macro>-<mistake>.rs` and its `.stderr`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
