//! The second factor's arithmetic (RFC 6238 TOTP over RFC 4226 HOTP: HMAC-SHA1, 30-second
//! steps, 6 digits — what every authenticator app reads from a QR code), the enrolment's
//! QR code, and the one-time recovery codes. Which accounts need a second factor is the
//! core's rule (`registry_core::access::SecondFactorPolicy`); storage keeps the secret
//! sealed and accepts each time step once (`registry_store::second_factor`).

use hmac::{Hmac, Mac};
use sha1::Sha1;
use time::OffsetDateTime;

use crate::secrets::{HashError, generate, random_bytes, token_hash};

/// Seconds in a time step.
const STEP: i64 = 30;
/// Digits of a code.
const DIGITS: u32 = 6;
/// Steps before and after the current one a code may be of (clocks a little apart).
const SKEW: i64 = 1;
/// The name an authenticator app shows.
const ISSUER: &str = "特种设备鉴定评审人员管理系统";

/// A new shared secret: 20 random bytes (160 bits, RFC 4226's recommendation).
pub(crate) fn new_secret() -> Result<Vec<u8>, HashError> {
    Ok(random_bytes::<20>()?.to_vec())
}

/// The time step of a moment.
pub(crate) fn step_of(at: OffsetDateTime) -> i64 {
    at.unix_timestamp().div_euclid(STEP)
}

/// The code of a step (RFC 4226 §5.3 dynamic truncation).
pub fn code_at(secret: &[u8], step: i64) -> u32 {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest.get(19).copied().unwrap_or(0) & 0x0f);
    let word = digest
        .get(offset..offset + 4)
        .map(|b| u32::from_be_bytes([b[0] & 0x7f, b[1], b[2], b[3]]))
        .unwrap_or(0);
    word % 10u32.pow(DIGITS)
}

/// The current code of a secret written in base32, for `registry totp-code` and the demo.
pub fn current_code(secret_base32: &str, at: OffsetDateTime) -> Option<String> {
    let secret = from_base32(secret_base32)?;
    Some(format!("{:06}", code_at(&secret, step_of(at))))
}

/// The step whose code `typed` is, within the allowed skew of `at`; none if it is no
/// step's (or not six digits).
pub(crate) fn matching_step(secret: &[u8], typed: &str, at: OffsetDateTime) -> Option<i64> {
    let digits: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != 6 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let typed: u32 = digits.parse().ok()?;
    let now = step_of(at);
    (now - SKEW..=now + SKEW).find(|step| code_at(secret, *step) == typed)
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32, without padding (how authenticator apps take a secret by hand).
pub fn to_base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(5) {
        let mut buffer = [0u8; 5];
        buffer[..chunk.len()].copy_from_slice(chunk);
        let bits = buffer
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            let index = (bits >> (35 - i * 5)) & 0x1f;
            out.push(char::from(BASE32[index as usize]));
        }
    }
    out
}

/// Reads [`to_base32`] (case and spaces do not matter).
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u64;
    let mut count = 0u32;
    let mut out = Vec::new();
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let value = BASE32
            .iter()
            .position(|b| char::from(*b) == c.to_ascii_uppercase())?;
        bits = (bits << 5) | value as u64;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push(((bits >> count) & 0xff) as u8);
        }
    }
    (!out.is_empty() && out.len() <= 64).then_some(out)
}

/// The address an authenticator app reads from the QR code.
pub(crate) fn otpauth_uri(username: &str, secret: &[u8]) -> String {
    let issuer: String = ISSUER.bytes().map(|b| format!("%{b:02X}")).collect();
    format!(
        "otpauth://totp/{issuer}:{username}?secret={}&issuer={issuer}&algorithm=SHA1&digits=6&period=30",
        to_base32(secret)
    )
}

/// The QR code of an address, as an SVG element for the page.
pub(crate) fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).ok()?;
    code.render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build()
        .split_once("<svg")
        .map(|(_, rest)| format!("<svg{rest}"))
}

/// The alphabet of recovery codes: capitals and digits without look-alikes.
const RECOVERY_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Recovery codes set up at once.
pub(crate) const RECOVERY_CODES: usize = 10;

/// Ten new recovery codes (`ABCDE-FGHJK`, 50 bits each), shown once.
pub(crate) fn new_recovery_codes() -> Result<Vec<String>, HashError> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let code = generate(RECOVERY_ALPHABET, 10)?;
            Ok(format!("{}-{}", &code[..5], &code[5..]))
        })
        .collect()
}

/// A recovery code as typed, in the form it is hashed: capitals, no dash or space; none
/// if it cannot be one.
pub(crate) fn recovery_form(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == 10 && code.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))).then_some(code)
}

/// The stored hash of a recovery code (50 random bits: a fast hash suffices, and the
/// lockout limits guesses).
pub(crate) fn recovery_hash(code: &str) -> String {
    token_hash(&format!("recovery:{code}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1: the secret is "12345678901234567890"; 8 digits there,
    /// the last 6 here.
    #[test]
    fn the_rfc_vectors() {
        let secret = b"12345678901234567890";
        for (unix, code) in [
            (59, 94_287_082u32),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ] {
            let at = OffsetDateTime::from_unix_timestamp(unix).unwrap();
            assert_eq!(code_at(secret, step_of(at)), code % 1_000_000, "{unix}");
        }
    }

    #[test]
    fn codes_of_the_step_before_and_after_are_accepted_and_no_others() {
        let secret = b"12345678901234567890";
        let at = OffsetDateTime::from_unix_timestamp(1_111_111_111).unwrap();
        let now = step_of(at);
        for (step, accepted) in [
            (now - 2, false),
            (now - 1, true),
            (now, true),
            (now + 1, true),
            (now + 2, false),
        ] {
            let code = format!("{:06}", code_at(secret, step));
            assert_eq!(
                matching_step(secret, &code, at),
                accepted.then_some(step),
                "{step}"
            );
        }
        assert_eq!(matching_step(secret, "12345", at), None);
        assert_eq!(matching_step(secret, "abcdef", at), None);
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        assert_eq!(to_base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(from_base32("mzxw 6ytb oi").unwrap(), b"foobar");
        let secret = new_secret().unwrap();
        assert_eq!(from_base32(&to_base32(&secret)).unwrap(), secret);
        assert_eq!(from_base32("not base32!"), None);
    }

    #[test]
    fn recovery_codes_are_read_however_typed() {
        let codes = new_recovery_codes().unwrap();
        assert_eq!(codes.len(), 10);
        let first = codes.first().unwrap();
        assert_eq!(first.len(), 11);
        let typed = first.to_lowercase().replace('-', " ");
        assert_eq!(recovery_form(&typed).unwrap(), first.replace('-', ""));
        assert_eq!(recovery_form("123456"), None);
        let svg = qr_svg(&otpauth_uri("admin", &new_secret().unwrap())).unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
    }
}
