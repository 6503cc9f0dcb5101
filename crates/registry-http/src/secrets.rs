//! Passwords and tokens: argon2id hashing (off the async threads), generated passwords,
//! session tokens and their hashes.

use argon2::{Argon2, PasswordHash as Phc, PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

/// The alphabet of generated passwords: no 0/O, 1/l/I, which read alike.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";

/// Length of a generated password: 10 characters of 56, about 58 bits.
const GENERATED_LENGTH: usize = 10;

/// Why hashing failed (the system's randomness or the hasher itself).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], HashError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| HashError(e.to_string()))?;
    Ok(bytes)
}

/// The alphabet of fill-in passwords, read out on the phone: lower case only (no "capital
/// K"), without the look-alikes i, l, o, 0 and 1.
const FILL_IN_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// Length of a fill-in password: 12 characters of 31, about 59 bits (as strong as a
/// generated account password).
const FILL_IN_LENGTH: usize = 12;

/// A new random password of `length` characters from `alphabet`. Shown once; only its
/// hash is stored.
pub(crate) fn generate(alphabet: &[u8], length: usize) -> Result<String, HashError> {
    // Rejection sampling keeps every character equally likely.
    let mut out = String::with_capacity(length);
    while out.len() < length {
        for byte in random_bytes::<32>()? {
            let limit = 256 - 256 % alphabet.len();
            if (byte as usize) < limit
                && out.len() < length
                && let Some(&c) = alphabet.get(byte as usize % alphabet.len())
            {
                out.push(c as char);
            }
        }
    }
    Ok(out)
}

/// A new initial or reset account password from the unambiguous alphabet.
fn generate_password() -> Result<String, HashError> {
    generate(ALPHABET, GENERATED_LENGTH)
}

/// A generated password and its hash: the password is shown once, only the hash is kept.
#[derive(Debug)]
pub struct NewPassword {
    /// The password, to show once.
    pub shown: String,
    /// Its argon2id hash, to store.
    pub hash: String,
}

/// A new generated password with its hash (fill-in passwords, initial and reset account
/// passwords).
pub async fn new_password() -> Result<NewPassword, HashError> {
    let shown = generate_password()?;
    let hash = hash_password(shown.clone()).await?;
    Ok(NewPassword { shown, hash })
}

/// The groups a fill-in password is shown in (`7kq4-m9tx-a2bd`): read out on the phone or
/// copied from a slip, three groups of four are easier to keep than twelve characters.
const GROUP: usize = 4;

/// A new fill-in password: 12 characters of the lower-case unambiguous alphabet (about 59
/// bits) shown in groups of four joined by `-`; the hash is of the characters alone, so
/// the person may type it with or without the `-`, and in capitals (see
/// [`fill_in_typed`]).
pub async fn new_fill_in_password() -> Result<NewPassword, HashError> {
    let plain = generate(FILL_IN_ALPHABET, FILL_IN_LENGTH)?;
    let hash = hash_password(plain.clone()).await?;
    let shown = plain
        .as_bytes()
        .chunks(GROUP)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-");
    Ok(NewPassword { shown, hash })
}

/// A fill-in password as typed, for verification: the grouping's `-` and any spaces
/// (half or full width, or a full-width dash) left out; a password of today's length in
/// lower case, since it has no capitals (one given before they were lower case, 10
/// characters of both cases, is taken as typed).
pub fn fill_in_typed(typed: &str) -> String {
    let plain: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | '－' | '—' | '–' | ' ' | '\u{3000}'))
        .collect();
    if plain.chars().count() == FILL_IN_LENGTH {
        plain.to_ascii_lowercase()
    } else {
        plain
    }
}

/// The operating system's random generator, for the verification keys of documents.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsEntropy;

impl registry_core::ports::Entropy for OsEntropy {
    fn fill(&self, bytes: &mut [u8]) {
        // Without the system's randomness no unguessable key can be made: the request
        // fails (the panic is caught and answered with 500) rather than issue a weak one.
        if let Err(e) = getrandom::fill(bytes) {
            panic!("the system random generator failed: {e}");
        }
    }
}

/// A new session token: 32 random bytes, hex.
pub fn new_token() -> Result<String, HashError> {
    Ok(hex::encode(random_bytes::<32>()?))
}

/// The CSRF token of a visitor with a session or an open fill-in entry: derived from the
/// secret tokens of their cookies, so that it changes with every login, logout and entry,
/// and nobody without those (HttpOnly) cookies can know it. None for an anonymous visitor.
pub(crate) fn bound_token(session: Option<&str>, entry: Option<&str>) -> Option<String> {
    if session.is_none() && entry.is_none() {
        return None;
    }
    let mut hash = Sha256::new();
    hash.update(b"registry-csrf\0");
    hash.update(session.unwrap_or_default().as_bytes());
    hash.update(b"\0");
    hash.update(entry.unwrap_or_default().as_bytes());
    Some(hex::encode(hash.finalize()))
}

/// The CSRF token of a session whose cookie carries `session_token`: what a client that
/// holds the session (a browser's page, the API's `csrf_token`, a tool that minted the
/// session) sends with every unsafe request. It changes with the session.
pub fn session_csrf_token(session_token: &str) -> String {
    bound_token(Some(session_token), None).unwrap_or_default()
}

/// The hash under which a token is stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// At most this many argon2 computations at once (19 MiB each): a flood of password
/// checks waits its turn instead of taking the machine's memory.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// Hashes a password with argon2id (m = 19 MiB, t = 2, p = 1), on a blocking thread.
pub async fn hash_password(password: String) -> Result<String, HashError> {
    let _turn = HASHING
        .acquire()
        .await
        .map_err(|e| HashError(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let hash: Result<Phc, _> = Argon2::default().hash_password(password.as_bytes());
        hash.map(|hash| hash.to_string())
            .map_err(|e| HashError(e.to_string()))
    })
    .await
    .map_err(|e| HashError(e.to_string()))?
}

/// A valid argon2id hash of nothing anyone knows: verifying against it when there is no
/// real hash takes the same time as a real verification, so timing reveals nothing.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$ucWsOpzjsmlQXUTpWZXhf4y9bdSzsk4RBM0xkEUnrJI";

/// Verifies a password against a hash (or, with `None`, against a dummy hash, always
/// false), on a blocking thread.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    let known = hash.is_some();
    let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
    let Ok(_turn) = HASHING.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || {
        Phc::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
        && known
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_use_the_alphabet() {
        let a = generate_password().unwrap();
        let b = generate_password().unwrap();
        assert_eq!(a.len(), 10);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)));
        assert_eq!(new_token().unwrap().len(), 64);
        assert_eq!(token_hash("x"), token_hash("x"));
        assert_ne!(token_hash("x"), "x");
    }

    #[tokio::test]
    async fn fill_in_passwords_are_grouped_and_verify_with_or_without_the_dash() {
        let secret = new_fill_in_password().await.unwrap();
        let groups: Vec<&str> = secret.shown.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [4, 4, 4]
        );
        assert!(
            secret
                .shown
                .bytes()
                .all(|c| c == b'-' || FILL_IN_ALPHABET.contains(&c)),
            "lower case, no look-alikes: {}",
            secret.shown
        );
        let (first, second) = (groups[0], format!("{}{}", groups[1], groups[2]));
        for typed in [
            secret.shown.clone(),
            format!("{first}{second}"),
            format!("{first} {second}"),
            format!(" {first}－{second}\u{3000}"),
            secret.shown.to_ascii_uppercase(),
        ] {
            assert!(
                verify_password(fill_in_typed(&typed), Some(secret.hash.clone())).await,
                "{typed}"
            );
        }
        assert!(!verify_password(fill_in_typed(first), Some(secret.hash)).await);
        // A password given before (10 characters, both cases) is taken as typed.
        assert_eq!(fill_in_typed("7kQ4m-9TxAb"), "7kQ4m9TxAb");
    }

    #[tokio::test]
    async fn hashes_verify() {
        let hash = hash_password("Tezhong2026".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("Tezhong2026".into(), Some(hash.clone())).await);
        assert!(!verify_password("wrong".into(), Some(hash)).await);
        assert!(!verify_password("anything".into(), None).await);
        assert!(Phc::new(DUMMY_HASH).is_ok());
    }
}
