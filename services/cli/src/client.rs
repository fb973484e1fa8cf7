//! gRPC connection with the bearer token attached to every call; TLS for `https://`
//! nodes, trusting only the CA given with `--ca` / `ANPI_CA` (A-05, issue 7 item 7).

use std::path::Path;

use anpi_proto::v1;
use anyhow::{Context, bail};
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

#[derive(Clone)]
pub struct Bearer(Option<MetadataValue<tonic::metadata::Ascii>>);

impl Interceptor for Bearer {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

pub type NodeClient =
    v1::node_client::NodeClient<tonic::service::interceptor::InterceptedService<Channel, Bearer>>;

/// Connects to `node`. An `https://` node is reached over TLS and must present a
/// certificate for the address's host signed by the CA in the PEM file `ca`; nothing
/// else is trusted and verification is never turned off.
pub async fn channel(node: &str, ca: Option<&Path>) -> anyhow::Result<Channel> {
    let mut endpoint = Endpoint::from_shared(node.to_string())
        .with_context(|| format!("ノードのアドレスが正しくありません: {node}"))?
        .connect_timeout(std::time::Duration::from_secs(5));
    let tls = endpoint.uri().scheme_str() == Some("https");
    if tls {
        endpoint = endpoint
            .tls_config(ClientTlsConfig::new().ca_certificate(read_ca(ca)?))
            .with_context(|| format!("TLS settings for {node}"))?;
    }
    endpoint.connect().await.map_err(|error| {
        let detail = error_chain(&error);
        let hint = if tls && detail.contains("certificate") {
            "ノードの証明書を検証できません（--ca / ANPI_CA の CA が署名した、アドレスのホスト名の証明書ではありません）"
        } else {
            "ノードが起動しているか確認してください"
        };
        anyhow::anyhow!("ノード {node} に接続できません。{hint}: {detail}")
    })
}

/// The CA certificate of an `https://` node.
fn read_ca(ca: Option<&Path>) -> anyhow::Result<Certificate> {
    let Some(path) = ca else {
        bail!(
            "https node needs --ca or ANPI_CA: the PEM certificate of the CA that signed the node's certificate"
        );
    };
    let pem = std::fs::read(path).with_context(|| {
        format!(
            "reading the CA certificate (--ca / ANPI_CA) {}",
            path.display()
        )
    })?;
    let marker: &[u8] = b"-----BEGIN CERTIFICATE-----";
    if !pem.windows(marker.len()).any(|window| window == marker) {
        bail!(
            "the CA file {} (--ca / ANPI_CA) holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        );
    }
    Ok(Certificate::from_pem(pem))
}

/// An error and its sources in one line (a source its error already shows is left out).
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

pub async fn node_client(node: &str, ca: Option<&Path>, token: &str) -> anyhow::Result<NodeClient> {
    let channel = channel(node, ca).await?;
    let value = format!("Bearer {token}")
        .parse()
        .context("トークンの形式が正しくありません")?;
    // A page of 10,000 events can exceed tonic's default 4 MiB message limit.
    Ok(
        v1::node_client::NodeClient::with_interceptor(channel, Bearer(Some(value)))
            .max_decoding_message_size(MAX_MESSAGE),
    )
}

pub type RollcallClient = v1::rollcall_client::RollcallClient<
    tonic::service::interceptor::InterceptedService<Channel, Bearer>,
>;

/// A client of the node's Rollcall service (`anpi rollcall`).
pub async fn rollcall_client(
    node: &str,
    ca: Option<&Path>,
    token: &str,
) -> anyhow::Result<RollcallClient> {
    let channel = channel(node, ca).await?;
    let value = format!("Bearer {token}")
        .parse()
        .context("トークンの形式が正しくありません")?;
    Ok(
        v1::rollcall_client::RollcallClient::with_interceptor(channel, Bearer(Some(value)))
            .max_decoding_message_size(MAX_MESSAGE),
    )
}

/// The largest response accepted from a node.
const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// Turns a gRPC status into the message a clerk reads.
pub fn explain(status: tonic::Status) -> anyhow::Error {
    let code = match status.code() {
        tonic::Code::InvalidArgument => "入力エラー",
        tonic::Code::NotFound => "見つかりません",
        tonic::Code::FailedPrecondition => "実行できません",
        tonic::Code::Unauthenticated => "認証エラー",
        tonic::Code::PermissionDenied => "権限がありません",
        tonic::Code::Unavailable => "ノードに接続できません",
        _ => "エラー",
    };
    // A status with a source was made on this side from a broken connection (e.g.
    // plaintext `http://` to a node serving TLS), not sent by the node: show the cause
    // and the likely fix.
    if let Some(source) = std::error::Error::source(&status) {
        return anyhow::anyhow!(
            "{code}: ノードとの接続が切れました: {}（ノードが TLS で動いている場合は https:// のアドレスと --ca を指定してください）",
            error_chain(source)
        );
    }
    anyhow::anyhow!("{code}: {}", status.message())
}
