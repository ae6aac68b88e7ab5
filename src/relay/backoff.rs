//! When to try again: per-row exponential backoff with full jitter, and a relay-wide pause after
//! Svix rate-limits us.

use std::sync::Mutex;
use std::time::Duration;

use rand::Rng;
use tokio::time::Instant;

/// Per-row retry delays: the ceiling doubles with each attempt up to `max`, and the delay is drawn
/// uniformly below it ("full jitter"), so rows that failed together do not retry together.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    /// The delay before the hand-off after attempt number `attempt` (1 for the first).
    pub fn delay(&self, attempt: i32) -> Duration {
        rand::rng().random_range(Duration::ZERO..=self.ceiling(attempt))
    }

    /// The largest delay `delay(attempt)` can return.
    pub fn ceiling(&self, attempt: i32) -> Duration {
        let doublings = attempt.saturating_sub(1).clamp(0, 30) as u32;
        self.base.saturating_mul(1 << doublings).min(self.max)
    }
}

/// The first pause after a 429, and the longest.
const THROTTLE_FIRST: Duration = Duration::from_secs(1);
const THROTTLE_MAX: Duration = Duration::from_secs(30);

/// A relay-wide pause after a 429. The svix SDK hides `Retry-After`, so we cannot wait exactly as
/// long as Svix asks; instead every 429 in a row doubles the pause, and a success resets it.
#[derive(Debug, Default)]
pub struct Throttle {
    state: Mutex<ThrottleState>,
}

#[derive(Debug, Default)]
struct ThrottleState {
    until: Option<Instant>,
    pause: Duration,
}

impl Throttle {
    /// Svix answered 429: pause new hand-offs, longer each time it happens again.
    pub fn rate_limited(&self) {
        let mut state = self.lock();
        state.pause = (state.pause * 2).clamp(THROTTLE_FIRST, THROTTLE_MAX);
        let until = Instant::now() + state.pause;
        tracing::warn!(pause_ms = state.pause.as_millis() as u64, "Svix is rate limiting: pausing hand-offs");
        state.until = Some(state.until.map_or(until, |u| u.max(until)));
    }

    /// A hand-off went through: the next 429 starts again from the shortest pause.
    pub fn succeeded(&self) {
        self.lock().pause = Duration::ZERO;
    }

    /// Waits out the current pause, if any.
    pub async fn wait(&self) {
        let until = self.lock().until;
        if let Some(until) = until {
            tokio::time::sleep_until(until).await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ThrottleState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_doubles_per_attempt_up_to_the_cap() {
        let backoff = Backoff { base: Duration::from_secs(1), max: Duration::from_secs(10) };
        let ceilings: Vec<u64> = (1..=6).map(|a| backoff.ceiling(a).as_secs()).collect();
        assert_eq!(ceilings, [1, 2, 4, 8, 10, 10]);
        assert_eq!(backoff.ceiling(i32::MAX), Duration::from_secs(10));
    }

    #[test]
    fn delays_stay_below_the_ceiling() {
        let backoff = Backoff { base: Duration::from_millis(100), max: Duration::from_secs(1) };
        for attempt in 1..20 {
            assert!(backoff.delay(attempt) <= backoff.ceiling(attempt));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn repeated_rate_limits_pause_longer_and_a_success_resets() {
        let throttle = Throttle::default();
        throttle.rate_limited();
        throttle.rate_limited();
        let start = Instant::now();
        throttle.wait().await;
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        throttle.succeeded();
        throttle.rate_limited();
        let start = Instant::now();
        throttle.wait().await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }
}
