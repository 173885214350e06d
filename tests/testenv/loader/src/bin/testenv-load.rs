//! Loads `kind: List` files into a running test bed as its admin: `testenv-load DIR FILE...`.
//! Used by `make demo`; tests call `TestEnv::load_fixture` directly.
#![allow(clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;

use mekhanikube_testenv::TestEnv;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let Some((dir, files)) = args.split_first().filter(|(_, files)| !files.is_empty()) else {
        eprintln!("usage: testenv-load DIR FILE...");
        return ExitCode::from(2);
    };
    let env = match TestEnv::from_dir(dir) {
        Ok(env) => env,
        Err(e) => {
            eprintln!("error: no running test bed in {}: {e:#}", dir.display());
            return ExitCode::from(2);
        }
    };
    for file in files {
        match env.load_fixture(file).await {
            Ok(stats) => eprintln!(
                "loaded {}: {} created, {} statuses written, {} already there",
                file.display(),
                stats.created,
                stats.status_patched,
                stats.existing
            ),
            Err(e) => {
                eprintln!("error: loading {}: {e:#}", file.display());
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}
