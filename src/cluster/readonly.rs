//! A tower layer under the kube client that refuses every request that is not a GET, before it leaves the
//! process. The promise "mekhanikube never writes to your cluster" is enforced here, not by convention.

use std::task::{Context, Poll};

use futures::future::{BoxFuture, FutureExt};
use http::{Method, Request};
use tower::{BoxError, Layer, Service};

#[derive(Clone, Copy, Debug, Default)]
pub struct ReadOnlyLayer;

impl<S> Layer<S> for ReadOnlyLayer {
    type Service = ReadOnly<S>;
    fn layer(&self, inner: S) -> ReadOnly<S> {
        ReadOnly { inner }
    }
}

#[derive(Clone, Debug)]
pub struct ReadOnly<S> {
    inner: S,
}

#[derive(Debug, thiserror::Error)]
#[error("refused to send {method} {path}: mekhanikube only reads (GET) from the API server")]
pub struct WriteRefused {
    pub method: Method,
    pub path: String,
}

impl<S, B> Service<Request<B>> for ReadOnly<S>
where
    S: Service<Request<B>>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<S::Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if request.method() != Method::GET {
            let refused = WriteRefused { method: request.method().clone(), path: request.uri().path().to_string() };
            return futures::future::ready(Err(refused.into())).boxed();
        }
        self.inner.call(request).map(|r| r.map_err(Into::into)).boxed()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tower::ServiceExt;

    use super::*;

    /// Counts the requests that reach it, so a test can prove a refused request never left.
    fn counting_service(
        hits: Arc<AtomicUsize>,
    ) -> impl Service<Request<String>, Response = http::Response<String>, Error = BoxError, Future: Send + 'static> + Clone
    {
        tower::service_fn(move |_req: Request<String>| {
            hits.fetch_add(1, Ordering::SeqCst);
            futures::future::ready(Ok::<_, BoxError>(http::Response::new(String::new())))
        })
    }

    #[tokio::test]
    async fn get_passes_through() {
        let hits = Arc::new(AtomicUsize::new(0));
        let svc = ReadOnlyLayer.layer(counting_service(hits.clone()));
        let req = Request::get("/api/v1/pods").body(String::new()).unwrap();
        svc.oneshot(req).await.expect("GET is allowed");
        assert_eq!(hits.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn every_other_method_is_refused_before_sending() {
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::HEAD, Method::OPTIONS] {
            let hits = Arc::new(AtomicUsize::new(0));
            let svc = ReadOnlyLayer.layer(counting_service(hits.clone()));
            let req =
                Request::builder().method(method.clone()).uri("/api/v1/namespaces/x/pods").body(String::new()).unwrap();
            let err = svc.oneshot(req).await.expect_err("must be refused");
            assert!(err.to_string().contains(&format!("refused to send {method}")), "{err}");
            assert_eq!(hits.load(Ordering::SeqCst), 0, "{method} reached the inner service");
        }
    }
}
