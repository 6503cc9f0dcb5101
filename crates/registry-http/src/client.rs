//! Who is on the other end of a request: the client's address, which the lockouts and the
//! public search's limit count by.

use std::net::IpAddr;

use poem::Request;

/// The client's address: the peer, or the last `X-Forwarded-For` hop when the peer is the
/// configured trusted proxy (never otherwise: the header is the client's to forge).
pub(crate) fn client_address(req: &Request, trusted_proxy: Option<IpAddr>) -> String {
    let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
    if let (Some(peer), Some(proxy)) = (peer, trusted_proxy)
        && peer == proxy
        && let Some(forwarded) = req
            .header("x-forwarded-for")
            // The last address: the one the trusted proxy appended (the ones before it are
            // whatever the client sent, and anyone can send anything).
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return forwarded.to_string();
    }
    peer.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}
