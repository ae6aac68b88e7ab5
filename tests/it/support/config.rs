//! Building a [`Config`] for a test the way the binary does: from flags, so defaults and
//! validation are the real ones.

use clap::Parser;
use webhook_outbox::config::Config;

use super::TestDb;
use crate::svix_fake::SvixFake;

#[derive(Parser)]
struct Flags {
    #[command(flatten)]
    config: Config,
}

/// A config for `db`, delivering to `fake` when given (else Svix is disabled), plus `extra` flags
/// such as `["--relay-batch-size", "10"]`.
pub fn config(db: &TestDb, fake: Option<&SvixFake>, extra: &[&str]) -> Config {
    let mut args = vec!["webhook-outbox".to_owned(), "--database-url".to_owned(), db.url.clone()];
    if let Some(fake) = fake {
        args.extend(["--svix-auth-token".to_owned(), SvixFake::TOKEN.to_owned()]);
        args.extend(["--svix-server-url".to_owned(), fake.url()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    Flags::try_parse_from(args).expect("test config flags").config
}
