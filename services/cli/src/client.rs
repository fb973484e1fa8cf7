//! gRPC connection with the bearer token attached to every call.

use anpi_proto::v1;
use anyhow::Context;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::transport::{Channel, Endpoint};

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

pub async fn channel(node: &str) -> anyhow::Result<Channel> {
    let endpoint = Endpoint::from_shared(node.to_string())
        .with_context(|| format!("ノードのアドレスが正しくありません: {node}"))?
        .connect_timeout(std::time::Duration::from_secs(5));
    endpoint.connect().await.with_context(|| {
        format!("ノード {node} に接続できません。ノードが起動しているか確認してください")
    })
}

pub async fn node_client(node: &str, token: &str) -> anyhow::Result<NodeClient> {
    let channel = channel(node).await?;
    let value = format!("Bearer {token}")
        .parse()
        .context("トークンの形式が正しくありません")?;
    // A page of 10,000 events can exceed tonic's default 4 MiB message limit.
    Ok(
        v1::node_client::NodeClient::with_interceptor(channel, Bearer(Some(value)))
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
    anyhow::anyhow!("{code}: {}", status.message())
}
