//! Opening a bot's session on a gateway (connect over the bot's transport, `Hello`, then
//! `Login` or `Resume`), and moving it to another gateway when its gateway drains or stops
//! answering: ask `/api/connect` of the gateway it was on (a draining gateway still answers,
//! naming another), else of the run's target, else of the other gateways the last answer
//! named, and resume the character there with the session token of its last `Joined`, as the
//! browser does.

use crate::bot::{BotContext, BotSpec};
use crate::client::{close_reason, Client, ConnectInfo, Event, GatewayRoute, Traffic};
use crate::mix::Transport;
use mmo_protocol::{ClientControl, ServerControl, WorldInfo, PROTOCOL_VERSION};
use std::time::Duration;
use tokio::time::Instant;
use tracing::debug;

/// How long a bot tries to resume on another gateway before it gives up (`ResumeFailed`).
pub const MOVE_TIMEOUT: Duration = Duration::from_secs(20);
/// The longest pause between two tries of a move.
const MOVE_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// A session that joined a gateway.
#[derive(Debug)]
pub struct Joined {
    pub client: Client,
    pub world: WorldInfo,
    /// For `Resume` on another gateway.
    pub token: String,
}

/// Why a session could not be opened (a reason for the report) and the traffic it cost.
pub type JoinFailure = (String, Traffic);

/// Connects to the gateway of `route` over the bot's transport.
async fn connect(transport: Transport, ctx: &BotContext, route: &GatewayRoute) -> Result<Client, String> {
    let client = match transport {
        Transport::WebTransport => {
            let (Some(wt), Some(endpoints)) = (&route.webtransport, &ctx.endpoints) else {
                return Err("NoWebTransport".into());
            };
            let quic = endpoints.client(wt.cert).map_err(|e| {
                debug!(error = %e, "QUIC client");
                "ConnectError".to_string()
            })?;
            Client::webtransport(quic, &wt.url).await
        }
        Transport::WebSocket => Client::websocket(&route.websocket, &ctx.trust).await,
    };
    client.map(|c| c.sharing(ctx.extrapolations.clone())).map_err(|e| {
        debug!(error = %e, "connect");
        "ConnectError".to_string()
    })
}

/// Connects, says hello and sends `login` (`Login` or `Resume`); the session once `Joined`,
/// within `ctx.connect_timeout`. A join that runs out of time fails with
/// `ConnectTimeout(STEP)`: the step it was waiting for (`connect`: the transport's handshakes
/// and control stream; `welcome`: the answer to `Hello`; `joined`: the answer to the login).
pub async fn join(
    spec: &BotSpec,
    ctx: &BotContext,
    route: &GatewayRoute,
    login: &ClientControl,
) -> Result<Joined, JoinFailure> {
    let deadline = Instant::now() + ctx.connect_timeout;
    let late = |step: &str, traffic: Traffic| (format!("ConnectTimeout({step})"), traffic);
    let connected = tokio::time::timeout_at(deadline, connect(spec.transport, ctx, route)).await;
    let mut client =
        connected.map_err(|_| late("connect", Traffic::default()))?.map_err(|r| (r, Traffic::default()))?;
    let hello = ClientControl::Hello { version: PROTOCOL_VERSION };
    let world = match tokio::time::timeout_at(deadline, ask_for(&mut client, &hello, welcome)).await {
        Ok(Ok(world)) => world,
        Ok(Err(reason)) => return Err((reason, client.traffic)),
        Err(_) => return Err(late("welcome", client.traffic)),
    };
    match tokio::time::timeout_at(deadline, ask_for(&mut client, login, joined)).await {
        Ok(Ok(token)) => Ok(Joined { client, world, token }),
        Ok(Err(reason)) => Err((reason, client.traffic)),
        Err(_) => Err(late("joined", client.traffic)),
    }
}

/// Sends `message`, then reads until `answer` picks the reply (or an error or close ends it).
async fn ask_for<T>(
    client: &mut Client,
    message: &ClientControl,
    answer: impl Fn(&ServerControl) -> Option<T>,
) -> Result<T, String> {
    client.send_control(message).await.map_err(|_| "SendError".to_string())?;
    loop {
        match client.recv().await {
            Ok(Event::Control(ServerControl::Error { code })) => return Err(format!("{code:?}")),
            Ok(Event::Control(reply)) => {
                if let Some(found) = answer(&reply) {
                    return Ok(found);
                }
            }
            Ok(Event::Closed(code)) => return Err(close_reason(code)),
            Ok(_) => {}
            Err(_) => return Err("ProtocolError".to_string()),
        }
    }
}

fn welcome(reply: &ServerControl) -> Option<WorldInfo> {
    match reply {
        ServerControl::Welcome { world, .. } => Some(*world),
        _ => None,
    }
}

fn joined(reply: &ServerControl) -> Option<String> {
    match reply {
        ServerControl::Joined { token, .. } => Some(token.clone()),
        _ => None,
    }
}

/// Where to go now: the gateway named by `/api/connect` of `from` (the gateway the bot was
/// on: while it drains it names another), else of the run's target, else of the other
/// gateways the last answer named (`from` and the target may both be gone: killed). From a
/// `lost` gateway (it stopped answering) the others are asked first and it last: one that hangs
/// instead of refusing would cost a whole connect timeout per try.
async fn ask(ctx: &BotContext, from: &GatewayRoute, lost: bool) -> Result<GatewayRoute, String> {
    let mut why = String::new();
    let known = ctx.gateways.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let others = known.iter().filter(|o| **o != from.http && **o != ctx.target);
    let mut bases: Vec<&url::Url> = if lost {
        others.chain([&ctx.target, &from.http]).collect()
    } else {
        [&from.http, &ctx.target].into_iter().chain(others).collect()
    };
    // The target is often the gateway the bot was on.
    bases.dedup();
    for base in bases {
        match ConnectInfo::fetch(base, ctx.connect_timeout, &ctx.trust).await {
            Ok(info) => {
                let route = GatewayRoute::from_connect(&info, base).map_err(|e| e.to_string())?;
                let mut known = ctx.gateways.lock().unwrap_or_else(|p| p.into_inner());
                *known = remember(&known, std::iter::once(route.http.clone()).chain(info.other_bases()));
                return Ok(route);
            }
            Err(e) => why = format!("{base}: {e}"),
        }
    }
    Err(why)
}

/// The gateways known after an answer: those it named (`newest`, first), then those known
/// before, each once, at most [`KNOWN_GATEWAYS`] (a gateway that is gone is only a refused
/// connection away from being skipped).
fn remember(known: &[url::Url], newest: impl Iterator<Item = url::Url>) -> Vec<url::Url> {
    let mut all: Vec<url::Url> = Vec::new();
    for base in newest.chain(known.iter().cloned()) {
        if !all.contains(&base) && all.len() < KNOWN_GATEWAYS {
            all.push(base);
        }
    }
    all
}

/// How many gateways a bot remembers.
const KNOWN_GATEWAYS: usize = 16;

/// Refusals a retry cannot mend: the token or the character is no good.
fn hopeless(reason: &str) -> bool {
    matches!(reason, "TokenInvalid" | "TokenExpired" | "CharacterCorrupt" | "VersionMismatch")
}

/// Resumes the character of `token` on the gateway `/api/connect` names (see [`ask`]; `lost`:
/// `from` stopped answering, rather than draining), trying again (a gateway that is itself
/// draining, a name not yet released by the old session) until [`MOVE_TIMEOUT`]; the new
/// session and the gateway's route, or why it failed.
pub async fn relocate(
    spec: &BotSpec,
    ctx: &BotContext,
    from: &GatewayRoute,
    token: &str,
    lost: bool,
) -> Result<(Joined, GatewayRoute), String> {
    let deadline = Instant::now() + MOVE_TIMEOUT;
    let resume = ClientControl::Resume { token: token.to_string() };
    let mut tries: u32 = 0;
    // Why the last try failed, for the error at the deadline.
    let mut last = String::from("no try finished");
    loop {
        if tries > 0 {
            if Instant::now() >= deadline {
                return Err(format!(
                    "no gateway resumed the session within {MOVE_TIMEOUT:?} ({tries} tries; last: {last})"
                ));
            }
            tokio::time::sleep((Duration::from_millis(100) * tries).min(MOVE_BACKOFF_MAX)).await;
        }
        tries += 1;
        let route = match ask(ctx, from, lost).await {
            Ok(route) => route,
            Err(why) => {
                debug!(%why, tries, "move: no gateway named yet");
                last = format!("no gateway named: {why}");
                continue;
            }
        };
        match join(spec, ctx, &route, &resume).await {
            Ok(joined) => return Ok((joined, route)),
            Err((reason, _)) if hopeless(&reason) => return Err(reason),
            Err((reason, _)) => {
                debug!(%reason, to = %route.http, tries, "move: resume failed; trying again");
                last = format!("{}: {reason}", route.http);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateways_named_last_come_first_and_none_is_forgotten_for_them() {
        let url = |port: u16| url::Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        let known = remember(&[], [url(2), url(1)].into_iter());
        assert_eq!(known, [url(2), url(1)]);
        // Gateway 1 answered, naming 2 (whose lease has not expired yet) and a new 3.
        let known = remember(&known, [url(1), url(2), url(3)].into_iter());
        assert_eq!(known, [url(1), url(2), url(3)], "1 stays known though 2 answered before");
        let many = remember(&known, (10..40).map(url));
        assert_eq!(many.len(), KNOWN_GATEWAYS);
    }
}
