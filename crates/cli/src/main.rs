//! `frontline`: the partner admin's command (being built).

fn main() {
    eprintln!("frontline: not built yet");
    std::process::exit(2);
}
