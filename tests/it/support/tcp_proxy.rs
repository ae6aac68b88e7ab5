//! A TCP proxy in front of PostgreSQL that a test can cut: while it is down, every open
//! connection is dropped and new ones are closed at once, as when the database host goes away.

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;

use sqlx::postgres::PgConnectOptions;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A running proxy; dropping it stops accepting.
pub struct TcpProxy {
    pub addr: SocketAddr,
    up: Arc<watch::Sender<bool>>,
    task: tokio::task::JoinHandle<()>,
}

impl TcpProxy {
    /// Proxies to the server `url` names, on a random local port.
    pub async fn to_database(url: &str) -> TcpProxy {
        let options = PgConnectOptions::from_str(url).expect("a PostgreSQL URL");
        let target = format!("{}:{}", options.get_host(), options.get_port());
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let up = Arc::new(watch::channel(true).0);
        let task = tokio::spawn(accept(listener, target, up.clone()));
        TcpProxy { addr, up, task }
    }

    /// `url` with its host and port replaced by the proxy's.
    pub fn url(&self, url: &str) -> String {
        let options = PgConnectOptions::from_str(url).expect("a PostgreSQL URL");
        let target = format!("{}:{}", options.get_host(), options.get_port());
        url.replacen(&target, &self.addr.to_string(), 1)
    }

    /// Cuts (`false`) or restores (`true`) the database.
    pub fn set_up(&self, up: bool) {
        self.up.send_replace(up);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept(listener: TcpListener, target: String, up: Arc<watch::Sender<bool>>) {
    while let Ok((client, _)) = listener.accept().await {
        if !*up.borrow() {
            continue; // dropped: the client sees the connection closed
        }
        let (target, mut down) = (target.clone(), up.subscribe());
        tokio::spawn(async move {
            let Ok(mut server) = TcpStream::connect(&target).await else { return };
            let mut client = client;
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                _ = down.wait_for(|up| !*up) => {}
            }
        });
    }
}
