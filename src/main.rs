//! The `webhook-outbox` binary: parse the command line, start logging, run the subcommand.

use clap::Parser;
use webhook_outbox::cli::Cli;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    webhook_outbox::telemetry::init(cli.config.log_format);
    match cli.run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
