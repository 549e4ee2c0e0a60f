//! A fake SMTP server for tests: the RFC 5321 dialogue on loopback
//! (greeting 220, EHLO/HELO, AUTH PLAIN, MAIL FROM, RCPT TO, DATA with
//! dot-unstuffing, RSET, NOOP, QUIT), storing each message's raw bytes. Each
//! connection follows the next [`Script`] queued (then [`Script::Accept`]).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// How one connection goes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(dead_code)]
pub enum Script {
    /// Takes every message.
    Accept,
    /// Greets with this line instead of 220 (`"421 busy"`), then closes.
    Greet(&'static str),
    /// Answers MAIL FROM with this line (`"451 4.3.0 try later"`).
    RefuseMail(&'static str),
    /// Answers RCPT TO with this line (`"550 5.1.1 no such user"`).
    RefuseRcpt(&'static str),
    /// Reads the message to its final `.`, then answers this line.
    RefuseData(&'static str),
    /// Reads the message to its final `.`, keeps it, and closes without a
    /// word.
    DropAfterData,
    /// Reads the message to its final `.`, keeps it, and never answers
    /// (until the client closes the connection).
    HangAfterData,
}

/// A message the server took (or read before dropping the connection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// MAIL FROM's address.
    pub from: String,
    /// RCPT TO's addresses.
    pub to: Vec<String>,
    /// The message, dot-unstuffed, without the final `.` line.
    pub data: Vec<u8>,
    /// Whether the server answered 250 to it.
    pub accepted: bool,
}

#[derive(Default)]
struct Shared {
    scripts: VecDeque<Script>,
    messages: Vec<Received>,
    commands: Vec<String>,
}

/// The running server.
#[derive(Clone)]
pub struct FakeSmtp {
    /// Where it listens (127.0.0.1, a free port).
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    login: Option<(String, String)>,
}

#[allow(dead_code)]
impl FakeSmtp {
    /// Starts a server that needs no login.
    pub async fn start() -> FakeSmtp {
        FakeSmtp::start_with(None).await
    }

    /// Starts a server that offers AUTH PLAIN and wants `user`/`password`
    /// before MAIL.
    pub async fn start_with_login(user: &str, password: &str) -> FakeSmtp {
        FakeSmtp::start_with(Some((user.into(), password.into()))).await
    }

    async fn start_with(login: Option<(String, String)>) -> FakeSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = FakeSmtp {
            addr: listener.local_addr().unwrap(),
            shared: Arc::default(),
            login,
        };
        let s = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let script = s
                    .shared
                    .lock()
                    .unwrap()
                    .scripts
                    .pop_front()
                    .unwrap_or(Script::Accept);
                let s = s.clone();
                tokio::spawn(async move { s.session(stream, script).await });
            }
        });
        server
    }

    /// Queues how the next connection goes.
    pub fn then(&self, script: Script) {
        self.shared.lock().unwrap().scripts.push_back(script);
    }

    /// The messages so far.
    pub fn messages(&self) -> Vec<Received> {
        self.shared.lock().unwrap().messages.clone()
    }

    /// Every command line received so far, on all connections.
    pub fn commands(&self) -> Vec<String> {
        self.shared.lock().unwrap().commands.clone()
    }

    async fn session(&self, stream: TcpStream, script: Script) {
        // Multi-line replies go out as several writes: without this, Nagle
        // and delayed ACKs hold each back for tens of milliseconds.
        let _ = stream.set_nodelay(true);
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        macro_rules! reply {
            ($line:expr) => {
                if write
                    .write_all(format!("{}\r\n", $line).as_bytes())
                    .await
                    .is_err()
                {
                    return;
                }
            };
        }
        if let Script::Greet(line) = script {
            reply!(line);
            return;
        }
        reply!("220 fake.smtp.test ESMTP ready");
        let mut helo = false;
        let mut authed = self.login.is_none();
        let mut from: Option<String> = None;
        let mut to: Vec<String> = Vec::new();
        loop {
            let mut line = Vec::new();
            match lines.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let text = String::from_utf8_lossy(&line)
                .trim_end_matches(['\r', '\n'])
                .to_string();
            self.shared.lock().unwrap().commands.push(text.clone());
            let upper = text.to_ascii_uppercase();
            let verb = upper.split(' ').next().unwrap_or("");
            match verb {
                "EHLO" => {
                    helo = true;
                    from = None;
                    to.clear();
                    reply!("250-fake.smtp.test greets you");
                    reply!("250-8BITMIME");
                    if self.login.is_some() {
                        reply!("250-AUTH PLAIN");
                    }
                    reply!("250 SIZE 10485760");
                }
                "HELO" => {
                    helo = true;
                    reply!("250 fake.smtp.test");
                }
                "AUTH" => {
                    let mut parts = text.split(' ').skip(1);
                    let mechanism = parts.next().unwrap_or("").to_ascii_uppercase();
                    let decoded = parts
                        .next()
                        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                        .unwrap_or_default();
                    let want = self
                        .login
                        .as_ref()
                        .map(|(u, p)| format!("\0{u}\0{p}").into_bytes());
                    if mechanism == "PLAIN" && want.as_deref() == Some(decoded.as_slice()) {
                        authed = true;
                        reply!("235 2.7.0 Authentication successful");
                    } else {
                        reply!("535 5.7.8 Authentication credentials invalid");
                    }
                }
                "MAIL" if !helo => reply!("503 5.5.1 EHLO first"),
                "MAIL" if !authed => reply!("530 5.7.0 Authentication required"),
                "MAIL" => {
                    if let Script::RefuseMail(l) = script {
                        reply!(l);
                        continue;
                    }
                    from = Some(path_of(&text));
                    to.clear();
                    reply!("250 2.1.0 Ok");
                }
                "RCPT" if from.is_none() => reply!("503 5.5.1 MAIL first"),
                "RCPT" => {
                    if let Script::RefuseRcpt(l) = script {
                        reply!(l);
                        continue;
                    }
                    to.push(path_of(&text));
                    reply!("250 2.1.5 Ok");
                }
                "DATA" if to.is_empty() => reply!("503 5.5.1 RCPT first"),
                "DATA" => {
                    reply!("354 End data with <CR><LF>.<CR><LF>");
                    let mut data = Vec::new();
                    loop {
                        let mut l = Vec::new();
                        match lines.read_until(b'\n', &mut l).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                        if l == b".\r\n" {
                            break;
                        }
                        // RFC 5321 4.5.2: a leading dot was doubled.
                        let l = if l.starts_with(b".") { &l[1..] } else { &l[..] };
                        data.extend_from_slice(l);
                    }
                    let received = Received {
                        from: from.take().unwrap_or_default(),
                        to: std::mem::take(&mut to),
                        data,
                        accepted: matches!(script, Script::Accept),
                    };
                    self.shared.lock().unwrap().messages.push(received);
                    match script {
                        Script::RefuseData(l) => reply!(l),
                        Script::DropAfterData => return,
                        Script::HangAfterData => {
                            // Wait for the client to give up and close.
                            let mut rest = Vec::new();
                            let _ =
                                tokio::io::AsyncReadExt::read_to_end(&mut lines, &mut rest).await;
                            return;
                        }
                        _ => reply!("250 2.0.0 Ok: queued"),
                    }
                }
                "RSET" => {
                    from = None;
                    to.clear();
                    reply!("250 2.0.0 Ok");
                }
                "NOOP" => reply!("250 2.0.0 Ok"),
                "QUIT" => {
                    reply!("221 2.0.0 Bye");
                    return;
                }
                _ => reply!("500 5.5.2 Command not recognized"),
            }
        }
    }
}

/// The address in `MAIL FROM:<a@b> …` or `RCPT TO:<a@b>`.
fn path_of(command: &str) -> String {
    let start = command.find('<').map_or(0, |i| i + 1);
    let end = command[start..]
        .find('>')
        .map_or(command.len(), |i| start + i);
    command[start..end].to_string()
}
