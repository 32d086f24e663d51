//! The handshake-signature part of a rustls certificate verifier, shared by the PostgreSQL
//! client's server-certificate check (`postgres`) and notary-signer's client-certificate check.

/// Expands, inside an `impl` of rustls' `ServerCertVerifier` or `ClientCertVerifier` (the two
/// traits declare these methods alike), to `verify_tls12_signature`, `verify_tls13_signature`
/// and `supported_verify_schemes`, checked with the field `self.<algorithms>`: a
/// `rustls::crypto::WebPkiSupportedAlgorithms`, normally the crypto provider's
/// `signature_verification_algorithms` (what rustls' own webpki verifiers use). Each
/// `verify_tls1x_signature` method is the `rustls::crypto` function of the same name.
///
/// ```ignore
/// impl ServerCertVerifier for Check {
///     fn verify_server_cert(/* ... */) -> Result<ServerCertVerified, rustls::Error> { /* ... */ }
///     notary_db::handshake_signature_methods!(algorithms);
/// }
/// ```
#[macro_export]
macro_rules! handshake_signature_methods {
    ($algorithms:ident) => {
        $crate::handshake_signature_methods!(
            @verify $algorithms: verify_tls12_signature, verify_tls13_signature
        );

        fn supported_verify_schemes(&self) -> Vec<$crate::__rustls::SignatureScheme> {
            self.$algorithms.supported_schemes()
        }
    };
    (@verify $algorithms:ident: $($method:ident),+) => {
        $(
            fn $method(
                &self,
                message: &[u8],
                cert: &$crate::__rustls::pki_types::CertificateDer<'_>,
                dss: &$crate::__rustls::DigitallySignedStruct,
            ) -> Result<
                $crate::__rustls::client::danger::HandshakeSignatureValid,
                $crate::__rustls::Error,
            > {
                $crate::__rustls::crypto::$method(message, cert, dss, &self.$algorithms)
            }
        )+
    };
}
