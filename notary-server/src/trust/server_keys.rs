//! The server-held keys behind `GET|POST /v2/<gun>/_trust/tuf/{timestamp|snapshot}.key`
//! (spec-server §5).

use notary_tuf::view::RootView;

use super::chain::ChainError;
use super::{TrustError, TrustService};
use crate::gun::Gun;
use crate::signer::{KeyRequest, SignerKey};

/// The two roles whose keys the server may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerRole {
    /// `timestamp`.
    Timestamp,
    /// `snapshot`.
    Snapshot,
}

impl ServerRole {
    /// The role name.
    pub fn as_str(self) -> &'static str {
        match self {
            ServerRole::Timestamp => "timestamp",
            ServerRole::Snapshot => "snapshot",
        }
    }

    /// `timestamp` or `snapshot`.
    pub fn parse(s: &str) -> Option<ServerRole> {
        match s {
            "timestamp" => Some(ServerRole::Timestamp),
            "snapshot" => Some(ServerRole::Snapshot),
            _ => None,
        }
    }
}

impl TrustService {
    /// The key the current root names for `role` if the signer holds it, else a new (or the
    /// pending, never-used) key.
    pub async fn server_key(&self, gun: &Gun, role: ServerRole) -> Result<SignerKey, TrustError> {
        match self.chain(gun, vec!["root".to_string()]).await {
            Ok(chain) => {
                if let Some((_, row)) = chain.roles.first() {
                    let root = RootView::parse(&row.data).map_err(TrustError::internal)?;
                    let (keys, _) = root
                        .role_keys(role.as_str())
                        .map_err(TrustError::internal)?;
                    for k in &keys {
                        if let Some(found) = self
                            .signer
                            .public_key(&k.id)
                            .await
                            .map_err(TrustError::internal)?
                        {
                            return Ok(found);
                        }
                    }
                }
            }
            // No repository yet: a new key.
            Err(ChainError::NoTimestamp) => {}
            Err(e) => return Err(e.into()),
        }
        self.create_server_key(gun, role).await
    }

    /// Always asks the signer for a new (or the pending) key; nothing in storage changes.
    pub async fn create_server_key(
        &self,
        gun: &Gun,
        role: ServerRole,
    ) -> Result<SignerKey, TrustError> {
        self.signer
            .create_key(KeyRequest {
                role: role.as_str(),
                gun: gun.as_str(),
                algorithm: &self.settings.key_algorithm,
            })
            .await
            .map_err(TrustError::internal)
    }
}
