//! The gRPC services `proto.KeyManagement` and `proto.Signer`: thin adapters from protobuf
//! messages to [`KeyService`]. `keyInfo` and `keyInfo.algorithm` are always populated (the Go
//! server dereferences them without checks).

use notary_proto::pb;
use tonic::{Request, Response, Status};

use crate::keystore::{KeyDescription, KeyService};

/// What every RPC answers.
type Reply<T> = Result<Response<T>, Status>;

/// Implements both generated service traits.
#[derive(Clone)]
pub struct SignerService {
    keys: KeyService,
}

impl SignerService {
    /// Wraps a key service.
    pub fn new(keys: KeyService) -> Self {
        Self { keys }
    }
}

fn key_info(key_id: String, algorithm: String) -> pb::KeyInfo {
    pb::KeyInfo {
        key_id: Some(pb::KeyId { id: key_id }),
        algorithm: Some(pb::Algorithm { algorithm }),
    }
}

fn requested_id(id: Option<pb::KeyId>) -> String {
    // Go panics on an absent keyID; we treat it as the empty ID (→ NOT_FOUND).
    id.map(|k| k.id).unwrap_or_default()
}

#[tonic::async_trait]
impl pb::key_management_server::KeyManagement for SignerService {
    async fn create_key(&self, request: Request<pb::CreateKeyRequest>) -> Reply<pb::PublicKey> {
        let req = request.into_inner();
        let KeyDescription {
            key_id,
            algorithm,
            public,
            ..
        } = self
            .keys
            .create_key(&req.algorithm, &req.gun, &req.role)
            .await?;
        Ok(Response::new(pb::PublicKey {
            key_info: Some(key_info(key_id, algorithm)),
            public_key: public,
        }))
    }

    async fn delete_key(&self, request: Request<pb::KeyId>) -> Reply<pb::Void> {
        self.keys.delete_key(&request.into_inner().id).await?;
        Ok(Response::new(pb::Void {}))
    }

    async fn get_key_info(&self, request: Request<pb::KeyId>) -> Reply<pb::GetKeyInfoResponse> {
        let KeyDescription {
            key_id,
            algorithm,
            public,
            role,
        } = self.keys.key_info(&request.into_inner().id).await?;
        Ok(Response::new(pb::GetKeyInfoResponse {
            key_info: Some(key_info(key_id, algorithm)),
            public_key: public,
            role,
        }))
    }
}

#[tonic::async_trait]
impl pb::signer_server::Signer for SignerService {
    async fn sign(&self, request: Request<pb::SignatureRequest>) -> Reply<pb::Signature> {
        let req = request.into_inner();
        let id = requested_id(req.key_id);
        let out = self.keys.sign(&id, &req.content).await?;
        Ok(Response::new(pb::Signature {
            key_info: Some(key_info(out.key_id, out.key_algorithm.to_owned())),
            algorithm: Some(pb::Algorithm {
                algorithm: out.method.to_owned(),
            }),
            content: out.signature,
        }))
    }
}
