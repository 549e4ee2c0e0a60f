//! `frontline-fakedesk --port N --desk freshdesk`: one fake help desk on
//! 127.0.0.1 until interrupted (see the library's documentation).

use frontline_fakedesk::{Desk, FakeDesk};

const USAGE: &str =
    "usage: frontline-fakedesk [--port N] [--desk freshdesk|servicenow|zammad|jira|connectwise]";

fn parse(args: &[String]) -> Result<(u16, Desk), String> {
    let mut port = 0u16;
    let mut desk = Desk::Freshdesk;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| format!("{a} needs a value\n{USAGE}"));
        match a.as_str() {
            "--port" => {
                port = value?
                    .parse()
                    .map_err(|_| format!("--port takes a number from 0 to 65535\n{USAGE}"))?
            }
            "--desk" => {
                let v = value?;
                desk = Desk::parse(v).ok_or_else(|| format!("unknown desk \"{v}\"\n{USAGE}"))?
            }
            _ => return Err(format!("unknown argument \"{a}\"\n{USAGE}")),
        }
    }
    Ok((port, desk))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return;
    }
    let (port, desk) = match parse(&args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("frontline-fakedesk: {e}");
            std::process::exit(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("frontline-fakedesk: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    let fake = match FakeDesk::serve(desk, listener).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("frontline-fakedesk: {e}");
            std::process::exit(1);
        }
    };
    println!("fake {} ({})", desk.as_str(), desk.credentials_hint());
    println!("listening {}/", fake.url());
    let _ = tokio::signal::ctrl_c().await;
}
