use std::time::Instant;
const SZ: usize = 256 * 1024;
const PG: usize = 4096;
fn main() {
    let n = 20_000;
    unsafe {
        // (a) per stack mmap NONE + mprotect RW, touch top
        let t = Instant::now();
        let mut v = vec![];
        for _ in 0..n {
            let p = libc::mmap(
                std::ptr::null_mut(),
                SZ + PG,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            );
            libc::mprotect((p as usize + PG) as *mut _, SZ, libc::PROT_READ | libc::PROT_WRITE);
            *((p as usize + SZ + PG - 64) as *mut u64) = 1;
            v.push(p);
        }
        println!("(a) per-stack mmap+mprotect+touch: {:.2} us", t.elapsed().as_secs_f64() * 1e6 / n as f64);
        let t = Instant::now();
        for p in v.drain(..) {
            libc::munmap(p, SZ + PG);
        }
        println!("    munmap: {:.2} us", t.elapsed().as_secs_f64() * 1e6 / n as f64);
        // (b) chunks of 64: one mmap RW, mprotect guard NONE each
        let t = Instant::now();
        let k = 64;
        let mut chunks = vec![];
        for _ in 0..n / k {
            let len = (SZ + PG) * k;
            let p = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            );
            for i in 0..k {
                libc::mprotect((p as usize + i * (SZ + PG)) as *mut _, PG, libc::PROT_NONE);
            }
            chunks.push((p, len));
        }
        println!("(b) chunked mmap + mprotect guards: {:.2} us", t.elapsed().as_secs_f64() * 1e6 / n as f64);
        let t = Instant::now();
        for &(p, _) in &chunks {
            for i in 0..k {
                *((p as usize + (i + 1) * (SZ + PG) - 64) as *mut u64) = 1;
            }
        }
        println!("    touch top page: {:.2} us", t.elapsed().as_secs_f64() * 1e6 / n as f64);
        let t = Instant::now();
        for (p, len) in chunks {
            libc::munmap(p, len);
        }
        println!("    munmap chunks: {:.2} us", t.elapsed().as_secs_f64() * 1e6 / n as f64);
        let t = Instant::now();
        let mut chunks = vec![];
        for _ in 0..n / k {
            let len = (SZ + PG) * k;
            let p = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            );
            for i in 0..k {
                let rc = libc::madvise((p as usize + i * (SZ + PG)) as *mut _, PG, 102);
                assert_eq!(rc, 0, "{}", std::io::Error::last_os_error());
            }
            chunks.push((p, len));
        }
        println!("(c) chunked mmap + MADV_GUARD_INSTALL: {:.2} us", t.elapsed().as_secs_f64() * 1e6 / n as f64);
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap().lines().count();
        println!("    maps now: {maps}");
        let t = Instant::now();
        for &(p, _) in &chunks {
            for i in 0..k {
                *((p as usize + (i + 1) * (SZ + PG) - 64) as *mut u64) = 1;
            }
        }
        println!("    touch top page: {:.2} us", t.elapsed().as_secs_f64() * 1e6 / n as f64);
        let (p, _) = chunks[0];
        let mut sig = false;
        // fault test in child
        if libc::fork() == 0 {
            *(p as *mut u64) = 1;
            libc::_exit(0);
        } else {
            let mut st = 0;
            libc::wait(&mut st);
            sig = libc::WIFSIGNALED(st) && libc::WTERMSIG(st) == libc::SIGSEGV;
        }
        println!("    guard faults with SIGSEGV: {sig}");
    }
}
