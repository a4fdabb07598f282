//! A WebSocket client of `/v1/stream` for tests (tokio-tungstenite).

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use quai_protocol::ServerMessage;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What the next frame was.
#[derive(Debug)]
pub enum Received {
    Message(Box<ServerMessage>),
    Closed(Option<CloseFrame>),
}

pub struct Client {
    pub socket: Socket,
}

/// `ws://` URL of a server's stream from its `http://` base.
pub fn url(base: &str) -> String {
    format!("{}/v1/stream", base.replacen("http://", "ws://", 1))
}

impl Client {
    pub async fn connect(base: &str) -> Client {
        let (socket, _) = tokio_tungstenite::connect_async(url(base))
            .await
            .unwrap_or_else(|e| panic!("connect {}: {e}", url(base)));
        Client { socket }
    }

    /// Connects over a TCP socket with a tiny receive buffer: a client that does not
    /// read then blocks the server's writes quickly.
    pub async fn connect_small_buffer(base: &str) -> Client {
        let addr = base.trim_start_matches("http://");
        let tcp = tokio::net::TcpSocket::new_v4().expect("socket");
        tcp.set_recv_buffer_size(4096).expect("SO_RCVBUF");
        let stream = tcp
            .connect(addr.parse().expect("address"))
            .await
            .expect("connect");
        let (socket, _) = tokio_tungstenite::client_async(url(base), MaybeTlsStream::Plain(stream))
            .await
            .expect("handshake");
        Client { socket }
    }

    pub async fn send(&mut self, json: &str) {
        self.socket
            .send(Message::Text(json.into()))
            .await
            .expect("send");
    }

    pub async fn subscribe(&mut self, station: &str, since: Option<u64>) {
        let since = since.map(|s| format!(",\"since\":{s}")).unwrap_or_default();
        self.send(&format!(
            r#"{{"op":"subscribe","station":"{station}"{since}}}"#
        ))
        .await;
    }

    /// The next message or close within `timeout`; panics on timeout. Pings and pongs
    /// are skipped.
    pub async fn next_within(&mut self, timeout: Duration) -> Received {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("nothing received within {timeout:?}"));
            match frame {
                None => return Received::Closed(None),
                Some(Err(_)) => return Received::Closed(None),
                Some(Ok(Message::Text(text))) => {
                    let message = serde_json::from_str(text.as_str())
                        .unwrap_or_else(|e| panic!("bad server message {text}: {e}"));
                    return Received::Message(Box::new(message));
                }
                Some(Ok(Message::Close(frame))) => return Received::Closed(frame),
                Some(Ok(_)) => {}
            }
        }
    }

    /// The next server message (skipping heartbeats); panics on close or timeout.
    pub async fn next_message(&mut self) -> ServerMessage {
        loop {
            match self.next_within(Duration::from_secs(20)).await {
                Received::Message(m) if matches!(*m, ServerMessage::Heartbeat { .. }) => {}
                Received::Message(m) => return *m,
                Received::Closed(frame) => panic!("stream closed: {frame:?}"),
            }
        }
    }
}
