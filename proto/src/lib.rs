//! gRPC protocol between notary-server and notary-signer.
//!
//! The generated code lives in [`pb`]: messages (`pb::CreateKeyRequest`, `pb::KeyId`, …),
//! clients (`pb::key_management_client::KeyManagementClient`, `pb::signer_client::SignerClient`)
//! and servers (`pb::key_management_server::{KeyManagement, KeyManagementServer}`,
//! `pb::signer_server::{Signer, SignerServer}`). The proto package is `proto`, exactly as in
//! Go Notary, so the wire paths are `/proto.KeyManagement/*` and `/proto.Signer/Sign`.

/// Code generated from `proto/signer.proto` (package `proto`).
#[allow(clippy::all, missing_docs)]
pub mod pb {
    tonic::include_proto!("proto");
}

/// Largest gRPC message either side accepts: a `SignatureRequest` carries the canonical bytes of
/// a generated snapshot, which can be as large as the largest accepted publish (128 MiB by
/// default), plus a little framing. tonic's default of 4 MiB would make a snapshot above 4 MiB
/// unsignable. The server's client and the signer's services both use this value.
pub const MAX_MESSAGE_BYTES: usize = 136 * 1024 * 1024;

/// Health-check service names the Go signer registers (besides the empty name `""`).
pub mod health_names {
    /// Health entry for the KeyManagement service.
    pub const KEY_MANAGEMENT: &str = "grpc.health.v1.Health.KeyManagement";
    /// Health entry for the Signer service.
    pub const SIGNER: &str = "grpc.health.v1.Health.Signer";
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::pb;

    /// Field numbers on the wire are exactly Go Notary's (tag byte = number << 3 | wire type).
    #[test]
    fn field_numbers_match_go() {
        let key_id = pb::KeyId { id: "k".into() };
        assert_eq!(key_id.encode_to_vec(), [0x0a, 1, b'k']);
        let req = pb::CreateKeyRequest {
            algorithm: "a".into(),
            gun: "g".into(),
            role: "r".into(),
        };
        assert_eq!(
            req.encode_to_vec(),
            [0x0a, 1, b'a', 0x12, 1, b'g', 0x1a, 1, b'r']
        );
        let info = pb::KeyInfo {
            key_id: Some(key_id.clone()),
            algorithm: Some(pb::Algorithm {
                algorithm: "e".into(),
            }),
        };
        let info_bytes = info.encode_to_vec();
        assert_eq!(info_bytes, [0x0a, 3, 0x0a, 1, b'k', 0x12, 3, 0x0a, 1, b'e']);
        let resp = pb::GetKeyInfoResponse {
            key_info: Some(info.clone()),
            public_key: vec![7],
            role: "t".into(),
        };
        let mut expected = vec![0x0a, info_bytes.len() as u8];
        expected.extend_from_slice(&info_bytes);
        expected.extend_from_slice(&[0x12, 1, 7, 0x1a, 1, b't']);
        assert_eq!(resp.encode_to_vec(), expected);
        let sig = pb::Signature {
            key_info: None,
            algorithm: Some(pb::Algorithm {
                algorithm: "e".into(),
            }),
            content: vec![9],
        };
        assert_eq!(sig.encode_to_vec(), [0x12, 3, 0x0a, 1, b'e', 0x1a, 1, 9]);
        let sreq = pb::SignatureRequest {
            key_id: Some(key_id),
            content: vec![9],
        };
        assert_eq!(sreq.encode_to_vec(), [0x0a, 3, 0x0a, 1, b'k', 0x12, 1, 9]);
        assert!(pb::Void {}.encode_to_vec().is_empty());
    }

    /// Services live in package `proto`: `/proto.KeyManagement/*`, `/proto.Signer/Sign`.
    #[test]
    fn service_names_use_package_proto() {
        assert_eq!(pb::signer_server::SERVICE_NAME, "proto.Signer");
        assert_eq!(
            pb::key_management_server::SERVICE_NAME,
            "proto.KeyManagement"
        );
    }
}
