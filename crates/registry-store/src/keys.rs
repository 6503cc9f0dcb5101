//! Protection of the resident ID number at rest.
//!
//! The ID number is sensitive personal information (PIPL; GB/T 35273-2020 annex B). The
//! register stores it three ways, none of which is the plain number:
//!
//! - `id_hash`: HMAC-SHA256 of the number under a key derived from the data key, hex. It
//!   serves uniqueness (a unique index) and lookup of the whole number (the public search
//!   by ID number); without the key it cannot be reversed by trying all ~10^10 plausible
//!   numbers.
//! - `id_cipher`: the number encrypted with ChaCha20-Poly1305 under a second derived key,
//!   with a random 96-bit nonce (stored as nonce ‖ ciphertext ‖ tag). Only the association's
//!   pages and an explicit full export decrypt it.
//! - `id_masked`: the first 6 and last 4 characters, for back-office lists.
//!
//! The data key (32 bytes) is configuration, never stored in the database: losing it makes
//! the full ID numbers unrecoverable, so it is backed up apart from the database.

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use registry_core::resident_id::ResidentId;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a data key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not 64 hexadecimal characters.
    #[error("the data key must be 64 hexadecimal characters (32 bytes)")]
    Format,
}

/// The data key and the two keys derived from it.
#[derive(Clone)]
pub struct DataKey {
    hash_key: [u8; 32],
    cipher: ChaCha20Poly1305,
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(…)")
    }
}

fn derive(master: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac =
        <HmacSha256 as Mac>::new_from_slice(master).expect("HMAC accepts keys of any length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

impl DataKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(master: [u8; 32]) -> DataKey {
        let hash_key = derive(&master, "registry resident-id hash v1");
        let cipher_key = derive(&master, "registry resident-id cipher v1");
        DataKey {
            hash_key,
            cipher: ChaCha20Poly1305::new(Key::from_slice(&cipher_key)),
        }
    }

    /// A key from 64 hexadecimal characters.
    pub fn from_hex(text: &str) -> Result<DataKey, KeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| KeyError::Format)?;
        let master: [u8; 32] = bytes.try_into().map_err(|_| KeyError::Format)?;
        Ok(Self::from_bytes(master))
    }

    /// A new random key, as 64 hexadecimal characters.
    pub fn generate_hex() -> Result<String, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(hex::encode(bytes))
    }

    /// The keyed hash of an ID number, for uniqueness and lookup.
    pub fn hash(&self, id: &ResidentId) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.hash_key)
            .expect("HMAC accepts keys of any length");
        mac.update(id.as_str().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Encrypts an ID number: nonce ‖ ciphertext ‖ tag.
    pub fn encrypt(&self, id: &ResidentId) -> Result<Vec<u8>, String> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| e.to_string())?;
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: id.as_str().as_bytes(),
                    aad: b"resident_id",
                },
            )
            .map_err(|_| "encryption failed".to_owned())?;
        Ok(nonce.iter().copied().chain(sealed).collect())
    }

    /// Seals any secret (a second factor's): nonce ‖ ciphertext ‖ tag, bound to `what`.
    pub fn seal(&self, plain: &[u8], what: &[u8]) -> Result<Vec<u8>, String> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| e.to_string())?;
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: what,
                },
            )
            .map_err(|_| "encryption failed".to_owned())?;
        Ok(nonce.iter().copied().chain(sealed).collect())
    }

    /// Opens what [`DataKey::seal`] sealed for `what`.
    pub fn open(&self, sealed: &[u8], what: &[u8]) -> Result<Vec<u8>, String> {
        if sealed.len() < 12 {
            return Err("the sealed secret is truncated".to_owned());
        }
        let (nonce, body) = sealed.split_at(12);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: what,
                },
            )
            .map_err(|_| "the sealed secret does not open with this data key".to_owned())
    }

    /// Decrypts what [`DataKey::encrypt`] produced.
    pub fn decrypt(&self, sealed: &[u8]) -> Result<ResidentId, String> {
        if sealed.len() < 12 {
            return Err("the stored ID number is truncated".to_owned());
        }
        let (nonce, body) = sealed.split_at(12);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: b"resident_id",
                },
            )
            .map_err(|_| "the stored ID number does not decrypt with this data key".to_owned())?;
        let text =
            String::from_utf8(plain).map_err(|_| "the stored ID number is not text".to_owned())?;
        ResidentId::parse_canonical(&text).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_hashes_deterministically() {
        let key = DataKey::from_hex(&"11".repeat(32)).unwrap();
        let id = ResidentId::parse_canonical("11010519491231002X").unwrap();
        let sealed = key.encrypt(&id).unwrap();
        assert_ne!(
            key.encrypt(&id).unwrap(),
            sealed,
            "a fresh nonce every time"
        );
        assert!(!String::from_utf8_lossy(&sealed).contains("19491231"));
        assert_eq!(key.decrypt(&sealed).unwrap(), id);
        assert_eq!(key.hash(&id), key.hash(&id));
        assert_eq!(key.hash(&id).len(), 64);
        let other = DataKey::from_hex(&"22".repeat(32)).unwrap();
        assert_ne!(other.hash(&id), key.hash(&id));
        assert!(other.decrypt(&sealed).is_err());
        assert!(DataKey::from_hex("abc").is_err());
        assert_eq!(format!("{key:?}"), "DataKey(…)");
    }
}
