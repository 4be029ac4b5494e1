//! Random secrets for the local development setup (JWT signing key, demo password).
//!
//! Read straight from `/dev/urandom` so that xtask needs no random-number crate.

use std::io::Read;

use crate::Result;

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn random_bytes(count: usize) -> Result<Vec<u8>> {
    let mut bytes = vec![0; count];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut file| file.read_exact(&mut bytes))
        .map_err(|err| format!("could not read /dev/urandom: {err}"))?;
    Ok(bytes)
}

/// `len` random lowercase hexadecimal characters.
pub fn hex(len: usize) -> Result<String> {
    let bytes = random_bytes(len.div_ceil(2))?;
    let mut text: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    text.truncate(len);
    Ok(text)
}

/// `len` random letters and digits: easy to copy from a terminal and type in a login form.
pub fn alphanumeric(len: usize) -> Result<String> {
    let mut text = String::with_capacity(len);
    while text.len() < len {
        // Twice as many bytes as needed: rejection sampling drops about 3% of them.
        let bytes = random_bytes(2 * (len - text.len()))?;
        text.push_str(&alphanumeric_from(&bytes, len - text.len()));
    }
    Ok(text)
}

/// Maps random bytes to at most `len` alphanumeric characters without bias: bytes at or above
/// the largest multiple of 62 that fits in a byte (248) are skipped rather than wrapped.
fn alphanumeric_from(bytes: &[u8], len: usize) -> String {
    let limit = 256 - 256 % ALPHANUMERIC.len();
    bytes
        .iter()
        .map(|&byte| usize::from(byte))
        .filter(|&byte| byte < limit)
        .map(|byte| char::from(ALPHANUMERIC[byte % ALPHANUMERIC.len()]))
        .take(len)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphanumeric_skips_biased_bytes() {
        assert_eq!(alphanumeric_from(&[0, 61, 62, 248, 255, 247], 10), "A9A9");
        assert_eq!(alphanumeric_from(&[0, 1, 2], 2), "AB");
    }

    #[test]
    fn generated_secrets_have_the_requested_length_and_alphabet() {
        let hex = hex(48).expect("urandom is readable");
        assert_eq!(hex.len(), 48);
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
        let password = alphanumeric(16).expect("urandom is readable");
        assert_eq!(password.len(), 16);
        assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
