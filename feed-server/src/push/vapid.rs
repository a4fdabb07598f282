//! The server's VAPID identity (RFC 8292): a P-256 key pair made once and
//! kept in the store (so that subscriptions survive restarts: a browser
//! subscribed with this public key), and the signed JWT that tells a push
//! service who sends. Signed with `ring` (ES256, the fixed-size r‖s
//! signature JWS wants).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};

use crate::store::{Store, StoreError};

/// How long a signed JWT is valid (RFC 8292 allows at most 24 h).
const VALID_FOR: i64 = 12 * 3600;

pub struct Vapid {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    /// `mailto:` or `https:`: the `sub` claim.
    contact: String,
    /// The public key, base64url: `k=` of the header, and what browsers
    /// subscribe with.
    public: String,
}

impl std::fmt::Debug for Vapid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vapid")
            .field("public", &self.public)
            .finish()
    }
}

impl Vapid {
    /// The store's key pair (made now if it has none).
    pub fn load(store: &Store, contact: &str) -> Result<Vapid, StoreError> {
        let pkcs8 = store.push_key(Vapid::generate)?;
        Vapid::from_pkcs8(&pkcs8, contact)
    }

    /// A new key pair, PKCS#8.
    pub fn generate() -> Result<Vec<u8>, StoreError> {
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .map(|d| d.as_ref().to_vec())
            .map_err(|_| StoreError::Random)
    }

    /// The key pair kept as `pkcs8`.
    pub fn from_pkcs8(pkcs8: &[u8], contact: &str) -> Result<Vapid, StoreError> {
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
            .map_err(|e| StoreError::Corrupt(format!("the VAPID key: {e}")))?;
        let public = URL_SAFE_NO_PAD.encode(key.public_key().as_ref());
        Ok(Vapid {
            key,
            rng,
            contact: contact.to_string(),
            public,
        })
    }

    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// The `Authorization` header for a push to `endpoint`'s origin at `now`
    /// (seconds since the epoch): `vapid t=<JWT>, k=<public key>`.
    pub fn authorization(&self, origin: &str, now: i64) -> Result<String, StoreError> {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({
            "aud": origin,
            "exp": now + VALID_FOR,
            "sub": self.contact,
        });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        let signature = self
            .key
            .sign(&self.rng, signing_input.as_bytes())
            .map_err(|_| StoreError::Random)?;
        Ok(format!(
            "vapid t={signing_input}.{}, k={}",
            URL_SAFE_NO_PAD.encode(signature.as_ref()),
            self.public
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_kept_and_the_jwt_verifies_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let a = Vapid::load(&store, "mailto:info@example.org").unwrap();
        let b = Vapid::load(&store, "mailto:info@example.org").unwrap();
        assert_eq!(a.public_key(), b.public_key());
        let auth = a
            .authorization("https://push.example.net", 1_800_000_000)
            .unwrap();
        let (t, k) = auth
            .strip_prefix("vapid t=")
            .and_then(|r| r.split_once(", k="))
            .unwrap();
        assert_eq!(k, a.public_key());
        let (input, sig) = t.rsplit_once('.').unwrap();
        let public = URL_SAFE_NO_PAD.decode(k).unwrap();
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, public)
            .verify(input.as_bytes(), &URL_SAFE_NO_PAD.decode(sig).unwrap())
            .unwrap();
        let claims = URL_SAFE_NO_PAD
            .decode(input.split('.').nth(1).unwrap())
            .unwrap();
        let claims: serde_json::Value = serde_json::from_slice(&claims).unwrap();
        assert_eq!(claims["aud"], "https://push.example.net");
        assert_eq!(claims["exp"], 1_800_000_000 + VALID_FOR);
        assert_eq!(claims["sub"], "mailto:info@example.org");
    }
}
