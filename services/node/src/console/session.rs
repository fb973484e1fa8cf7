//! Console sessions (issue 15; ): an opaque random ID in a cookie
//! (HttpOnly, SameSite=Strict, Secure over TLS), the state on the server — the node's
//! own login token (never sent to the browser), the CSRF token, the chosen incident,
//! one message to show once — and an idle time-out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anpi_core::ids::IncidentId;
use rand::RngCore;

/// The cookie's name.
pub const COOKIE: &str = "anpi_console";

/// Sessions kept before expired ones are swept.
const SWEEP_AT: usize = 1_000;

/// One browser's login.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    /// The login token of the node's accounts (`Accounts::authenticate`).
    pub token: String,
    /// Sent in every form; a POST without it is refused.
    pub csrf: String,
    /// The incident the clerk works on.
    pub incident: Option<IncidentId>,
    /// A message for the next page (after POST → redirect → GET).
    pub notice: Option<String>,
    last_seen: Instant,
}

/// The sessions of one console.
pub struct Sessions {
    idle: Duration,
    map: Mutex<HashMap<String, ConsoleSession>>,
}

/// 32 random bytes as hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Sessions {
    pub fn new(idle: Duration) -> Sessions {
        Sessions {
            idle,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Starts a session for a login token; returns the cookie value.
    pub fn start(&self, token: String) -> String {
        let id = random_token();
        let mut map = self.map.lock().expect("sessions lock");
        if map.len() >= SWEEP_AT {
            let idle = self.idle;
            map.retain(|_, s| s.last_seen.elapsed() < idle);
        }
        map.insert(
            id.clone(),
            ConsoleSession {
                token,
                csrf: random_token(),
                incident: None,
                notice: None,
                last_seen: Instant::now(),
            },
        );
        id
    }

    /// The live session of a cookie value, touched (the idle time starts again); an
    /// idle one is ended.
    pub fn touch(&self, id: &str) -> Option<ConsoleSession> {
        let mut map = self.map.lock().expect("sessions lock");
        let live = map
            .get(id)
            .is_some_and(|s| s.last_seen.elapsed() < self.idle);
        if !live {
            map.remove(id);
            return None;
        }
        let session = map.get_mut(id).expect("checked above");
        session.last_seen = Instant::now();
        Some(session.clone())
    }

    /// Changes a live session.
    pub fn update(&self, id: &str, change: impl FnOnce(&mut ConsoleSession)) {
        if let Some(session) = self.map.lock().expect("sessions lock").get_mut(id) {
            change(session);
        }
    }

    /// Takes the message waiting for the next page.
    pub fn take_notice(&self, id: &str) -> Option<String> {
        self.map
            .lock()
            .expect("sessions lock")
            .get_mut(id)
            .and_then(|s| s.notice.take())
    }

    pub fn end(&self, id: &str) -> Option<ConsoleSession> {
        self.map.lock().expect("sessions lock").remove(id)
    }
}

/// The value of the console cookie in a `Cookie` header.
pub fn cookie_value(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|part| part.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
        .filter(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The `Set-Cookie` value that starts (or, with `None`, ends) a session.
pub fn set_cookie(value: Option<&str>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match value {
        Some(value) => format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict{secure}"),
        None => format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    }
}

/// Compares two tokens in time independent of where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_end_after_the_idle_time() {
        let sessions = Sessions::new(Duration::from_millis(30));
        let id = sessions.start("token".into());
        assert!(sessions.touch(&id).is_some());
        std::thread::sleep(Duration::from_millis(60));
        assert!(sessions.touch(&id).is_none());
        assert!(
            sessions.touch(&id).is_none(),
            "an ended session stays ended"
        );
    }

    #[test]
    fn the_cookie_is_found_and_checked() {
        let id = random_token();
        let header = format!("other=1; {COOKIE}={id}; x=y");
        assert_eq!(cookie_value(&header), Some(id.as_str()));
        assert_eq!(cookie_value(&format!("{COOKIE}=short")), None);
        assert_eq!(cookie_value("other=1"), None);
        let set = set_cookie(Some(&id), true);
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Secure")
        );
        assert!(!set_cookie(Some(&id), false).contains("Secure"));
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
    }
}
