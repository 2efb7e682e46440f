//! A connection that never logs in gives its place back: the gateway closes it with `Timeout`
//! at the login deadline (`--login-timeout-secs`), so connections idle at the login form cannot
//! keep players out of a full gateway; one that logs in in time plays past the deadline.

mod support;

use mmo_protocol::{ErrorCode, ServerControl};
use std::time::Duration;
use support::{Client, TestWorld};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_idle_at_the_login_form_is_closed_at_the_deadline_and_frees_its_place() {
    let login_timeout = Duration::from_secs(2);
    let config =
        mmo_local::LocalWorldConfig { max_sessions: 2, login_timeout, ..mmo_local::LocalWorldConfig::for_tests() };
    let world = TestWorld::start_with(config).await;
    let mut player = Client::websocket(&world).await;
    player.join("ann").await;
    let mut idle = Client::websocket(&world).await;
    idle.hello().await;

    // Full: the idle connection holds the last place.
    let mut refused = Client::websocket(&world).await;
    assert_eq!(refused.closed(10).await, Some(ErrorCode::ServerFull.close_code()));

    // At the deadline the idle one is told why and closed; the player who logged in plays on.
    let (told, code) = idle.errors_and_close(login_timeout.as_secs() + 10).await;
    assert_eq!((told, code), (vec![ErrorCode::Timeout], Some(ErrorCode::Timeout.close_code())));
    let before = player.snapshot().await.tick;
    assert!(player.snapshot().await.tick > before, "the player past the deadline still gets snapshots");

    // Its place is free again.
    let mut next = Client::websocket(&world).await;
    assert!(matches!(next.join("bea").await, ServerControl::Joined { .. }));
    world.stop().await;
}
