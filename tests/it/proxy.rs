//! A loopback TCP relay in front of Ollama that counts chat requests and keeps every byte sent to the model,
//! so tests can count model calls and prove what left the process.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

pub struct CountingProxy {
    pub url: String,
    sent: Arc<Mutex<Vec<u8>>>,
}

impl CountingProxy {
    /// Relays connections from a fresh loopback port to `upstream` ("127.0.0.1:PORT").
    pub fn start(upstream: &str) -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let sent = Arc::new(Mutex::new(Vec::new()));
        let upstream = upstream.to_string();
        let sent_by_clients = sent.clone();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(&upstream) else { continue };
                let sent = sent_by_clients.clone();
                let (client_read, server_write) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                thread::spawn(move || pump(client_read, server_write, Some(sent)));
                thread::spawn(move || pump(server, client, None));
            }
        });
        CountingProxy { url, sent }
    }

    /// Chat requests seen so far (each starts a request line on a kept-alive connection).
    pub fn chat_requests(&self) -> usize {
        let sent = self.sent.lock().unwrap();
        let needle = b"POST /api/chat ";
        sent.windows(needle.len()).filter(|w| *w == needle).count()
    }

    pub fn sent_text(&self) -> String {
        String::from_utf8_lossy(&self.sent.lock().unwrap()).into_owned()
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, record: Option<Arc<Mutex<Vec<u8>>>>) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if let Some(record) = &record {
                    record.lock().unwrap().extend_from_slice(&buf[..n]);
                }
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
