//! The connection to the feed server: a thread running tokio-tungstenite that keeps
//! the board with `protocol::BoardState`, resubscribes with `since` after a gap or a
//! drop, reconnects with capped exponential backoff and jitter, and hands every new
//! board to the ECS through a channel.

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use bevy::prelude::*;
use futures_util::{SinkExt as _, StreamExt as _};
use quai_protocol::{Applied, Board, BoardState, ServerMessage};
use tokio_tungstenite::tungstenite::Message;

use crate::kept::KeptBoard;

/// What the network thread tells the app, over the channel that [`Inbox`] drains
/// each frame. (Not called `Update`: that is Bevy's schedule.)
#[derive(Debug, Clone)]
pub enum StreamReport {
    /// A new board, and when its message arrived.
    Board(Box<Board>, std::time::Instant),
    /// The connection is up (true) or lost (false).
    Connected(bool),
    /// An operator asked the station's screens to speak now.
    Announce,
    /// An operator asked this station's screen with this id for a picture.
    ScreenshotRequest(String),
}

/// Where to connect.
#[derive(Resource, Debug, Clone)]
pub struct Endpoint {
    pub url: String,
    pub station: String,
    /// Where the last board is kept between runs.
    pub kept_dir: std::path::PathBuf,
}

/// The board on screen and whether it is live.
#[derive(Resource, Debug, Default)]
pub struct Live {
    pub board: Option<Board>,
    pub connected: bool,
    /// How many boards (snapshots and deltas) arrived.
    pub updates: usize,
    /// When the last board arrived (the clock runs on from its `generated_at`).
    pub received: Option<std::time::Instant>,
    /// The board shown was read from disk at start: not live, whatever else says.
    pub kept: bool,
    /// When the message that made the current board arrived, until a frame
    /// showing it has been drawn (for the delta-to-frame latency in the log).
    pub arrived: Option<std::time::Instant>,
    /// How many `announce` messages arrived (the speech plugin answers each).
    pub announcements: u64,
    /// The screen ids operators asked for a picture, not yet answered
    /// (`crate::report` answers those of this screen).
    pub screenshots_asked: Vec<String>,
}

/// Wakes the window's event loop, which otherwise sleeps up to a second between
/// frames (reactive low power): a new board is drawn at once.
type Waker = Box<dyn Fn() + Send>;

#[derive(Resource)]
pub(crate) struct Inbox(Mutex<Receiver<StreamReport>>);

pub fn plugin(app: &mut App) {
    app.init_resource::<Live>()
        .add_systems(Startup, start)
        .add_systems(PreUpdate, receive);
}

fn start(
    mut commands: Commands,
    endpoint: Res<Endpoint>,
    mut live: ResMut<Live>,
    event_loop: Option<Res<bevy::winit::EventLoopProxyWrapper>>,
) {
    let waker: Waker = match event_loop {
        Some(proxy) => {
            let proxy = (**proxy).clone();
            Box::new(move || {
                let _ = proxy.send_event(bevy::winit::WinitUserEvent::WakeUp);
            })
        }
        // Headless: the schedule runner loops on its own.
        None => Box::new(|| {}),
    };
    let (tx, rx) = channel();
    let endpoint = endpoint.clone();
    if let Some(board) =
        KeptBoard::new(&endpoint.kept_dir, &endpoint.station).load(&endpoint.station)
    {
        info!(
            "showing the kept board of {} until the server answers",
            board.generated_at
        );
        live.board = Some(board);
        live.kept = true;
    }
    std::thread::Builder::new()
        .name("quai-network".into())
        .spawn(move || run(endpoint, tx, waker))
        .map_err(|e| error!("cannot start the network thread: {e}"))
        .ok();
    commands.insert_resource(Inbox(Mutex::new(rx)));
}

pub(crate) fn receive(inbox: Option<Res<Inbox>>, mut live: ResMut<Live>) {
    let Some(inbox) = inbox else { return };
    let Ok(rx) = inbox.0.lock() else { return };
    while let Ok(report) = rx.try_recv() {
        match report {
            StreamReport::Board(board, arrived) => {
                live.board = Some(*board);
                live.arrived = Some(arrived);
                live.kept = false;
                live.updates += 1;
                live.received = Some(std::time::Instant::now());
            }
            StreamReport::Connected(up) => live.connected = up,
            StreamReport::Announce => live.announcements += 1,
            // Answered by `report` on a screen with an id; a few at most
            // wait (a screen without one never drains them).
            StreamReport::ScreenshotRequest(screen) if live.screenshots_asked.len() < 8 => {
                live.screenshots_asked.push(screen);
            }
            StreamReport::ScreenshotRequest(_) => {}
        }
    }
}

fn run(endpoint: Endpoint, tx: Sender<StreamReport>, waker: Waker) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    runtime.block_on(async move {
        let mut state = BoardState::new(endpoint.station.clone());
        let mut kept = KeptBoard::new(&endpoint.kept_dir, &endpoint.station);
        let mut backoff = Duration::from_millis(250);
        loop {
            let ended = session(&endpoint, &mut state, &mut kept, &tx, &waker).await;
            if tx.send(StreamReport::Connected(false)).is_err() {
                return;
            }
            waker();
            if ended {
                backoff = Duration::from_millis(250);
            }
            // Jitter from the clock's nanoseconds: screens do not reconnect in step.
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let wait = backoff.mul_f64(0.5 + f64::from(nanos % 1000) / 2000.0);
            tokio::time::sleep(wait).await;
            backoff = (backoff * 2).min(Duration::from_secs(30));
        }
    });
}

/// One connection; returns whether it got as far as a board.
async fn session(
    endpoint: &Endpoint,
    state: &mut BoardState,
    kept: &mut KeptBoard,
    tx: &Sender<StreamReport>,
    waker: &Waker,
) -> bool {
    let Ok((mut ws, _)) = tokio_tungstenite::connect_async(&endpoint.url).await else {
        return false;
    };
    let subscribe = |since: Option<u64>| {
        let since = since.map(|s| format!(",\"since\":{s}")).unwrap_or_default();
        Message::Text(
            format!(
                r#"{{"op":"subscribe","station":"{}"{since}}}"#,
                endpoint.station
            )
            .into(),
        )
    };
    if ws.send(subscribe(state.seq())).await.is_err() {
        return false;
    }
    let mut got_board = false;
    while let Some(Ok(frame)) = ws.next().await {
        let Message::Text(text) = frame else { continue };
        let arrived = std::time::Instant::now();
        let Ok(message) = serde_json::from_str::<ServerMessage>(text.as_str()) else {
            continue;
        };
        if let ServerMessage::Announce { station, .. } = &message {
            if *station == endpoint.station {
                let _ = tx.send(StreamReport::Announce);
                waker();
            }
            continue;
        }
        if let ServerMessage::ScreenshotRequest {
            station, screen, ..
        } = &message
        {
            if *station == endpoint.station {
                let _ = tx.send(StreamReport::ScreenshotRequest(screen.clone()));
                waker();
            }
            continue;
        }
        match state.apply(&message) {
            Applied::UpToDate(_) => {
                got_board = true;
                let _ = tx.send(StreamReport::Connected(true));
                if let Some(board) = state.board() {
                    if tx
                        .send(StreamReport::Board(Box::new(board.clone()), arrived))
                        .is_err()
                    {
                        return got_board;
                    }
                    waker();
                    kept.offer(board);
                }
            }
            Applied::Resubscribe { since } => {
                if ws.send(subscribe(since)).await.is_err() {
                    return got_board;
                }
            }
            Applied::Ignored => {}
        }
    }
    got_board
}
