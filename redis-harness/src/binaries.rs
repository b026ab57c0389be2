//! The `redis-server` and `redis-cli` binaries: present, or a panic that
//! says how to install them.

use std::process::{Command, Stdio};

/// The install command, for every panic about a missing binary.
pub(crate) const INSTALL_HINT: &str = "install it with: sudo apt-get install redis-server redis-tools \
     (or run scripts/test.sh, which installs what the tests need)";

/// Panics with the install command unless `binary` runs.
pub fn require_binary(binary: &str) {
    let found = Command::new(binary)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "`{binary}` was not found or does not run; {INSTALL_HINT}"
    );
}
