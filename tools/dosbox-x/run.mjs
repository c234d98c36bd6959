#!/usr/bin/env node
// tools/dosbox-x/run.mjs - run a DOS batch file headless in DOSBox-X.
//
// DOSBox-X here is the WebAssembly build shipped in the npm package `emulators` (pinned in
// package.json next to this file; `npm ci` in this directory installs it). It runs under plain
// Node.js 20: no browser, no display, no sound.
//
// usage:
//   node tools/dosbox-x/run.mjs --conf CONF_FILE --dir DIR --batch RUN.BAT --timeout SECONDS
//                               [--yield-ms N] [--echo] [--verbose] [--tmp-image IMG]
//
// It does what the native engine does with
//   dosbox -conf CONF -c "mount c DIR" -c "c:" -c "call RUN.BAT" -c exit
// except that C: is an in-memory copy of DIR: every file of DIR is copied in before the run and,
// after DOSBox-X quit, new and changed files are written back into DIR and files that DOS deleted
// are deleted from DIR. Sub-directories (e.g. a TMP for swap files) are copied both ways too.
//
// exit status:
//   0    DOSBox-X ran the batch and quit normally (the DOS programs' exit codes are not passed
//        on: have the batch record them, e.g. with harness/exitcode.asm)
//   124  timeout: the emulator process was killed after SECONDS (per attempt); DIR gets C: as it
//        stood then (what DOS had flushed to its files), like a killed native DOSBox leaves it
//   125  emulator fault (wasm trap such as "RuntimeError: unreachable", a crash js-dos reports,
//        DOSBox-X quitting before it started the batch, runner error); the last stderr line
//        starts with "emulator fault:". A fault is retried once (a stderr line says so); a
//        timeout never is. (A batch that ends the session with EXIT is not a fault: 0 + warning.)
//
// CONF_FILE is an ordinary DOSBox conf; it is layered over quiet defaults (BASE_CONF) and under
// the settings the wasm build needs (FORCED_CONF: ANSI.SYS off). Its [autoexec] lines run first.
//
// --echo     copy the DOS console text to stdout; without it nothing is printed on stdout. The
//            wasm build hands over everything written to DOS handle 1, *even when the batch
//            redirects it to a file*, and only text written through DOS (not BIOS/video memory).
//            A retried run echoes again from the start.
// --yield-ms how often the emulator hands control back to Node's event loop (default 1000).
//            js-dos uses 24 ms, and with that about one run in ten died with a wasm trap.
// --verbose  emulator log messages and timings on stderr
// --tmp-image IMG  a FAT floppy image (e.g. from mkfs.fat) copied into the emulator's file system
//            and mounted as drive D: (imgmount -t floppy) before the batch runs; after the run
//            (also after a timeout) the image as DOSBox-X left it is written back to IMG.
//
// DBX_RUNNER_INJECT_FAULT=N (environment) makes the first N attempts fault; for selftest.sh.
//
// Structure: the command-line process is a supervisor; the emulator runs in a child process
// (this same file with DBX_RUNNER_CHILD=1), so that a timeout can always kill it (SIGKILL) even
// while the wasm code is busy, and so that a retry starts from a fresh emulator.

import fs from "node:fs";
import path from "node:path";
import { fork } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

const SELF = fileURLToPath(import.meta.url);
const HERE = path.dirname(SELF);
const NAME = "dosbox-x run.mjs";
const EXIT_OK = 0, EXIT_TIMEOUT = 124, EXIT_FAULT = 125;
const TIMEOUT_GRACE_MS = 1500;

// ---------------------------------------------------------------------------------------------
// command line

function parseArgs(argv) {
    const o = { conf: null, dir: null, batch: null, timeout: null, yieldMs: 1000, echo: false, verbose: false, tmpImage: null };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            if (i + 1 >= argv.length) throw new UsageError(`missing value for ${a}`);
            return argv[++i];
        };
        switch (a) {
            case "--conf": o.conf = value(); break;
            case "--dir": o.dir = value(); break;
            case "--batch": o.batch = value(); break;
            case "--timeout": o.timeout = Number(value()); break;
            case "--yield-ms": o.yieldMs = Number(value()); break;
            case "--echo": o.echo = true; break;
            case "--verbose": o.verbose = true; break;
            case "--tmp-image": o.tmpImage = value(); break;
            case "-h": case "--help": throw new UsageError(null);
            default: throw new UsageError(`unknown argument ${a}`);
        }
    }
    if (!o.conf) throw new UsageError("--conf is required");
    if (!o.dir) throw new UsageError("--dir is required");
    if (!o.batch) throw new UsageError("--batch is required");
    if (o.timeout === null || !(o.timeout > 0)) throw new UsageError("--timeout SECONDS (> 0) is required");
    if (!(o.yieldMs >= 0)) throw new UsageError("bad --yield-ms");
    if (!/^[^\s"<>|]+$/.test(o.batch)) throw new UsageError("bad --batch name");
    o.conf = path.resolve(o.conf);
    o.dir = path.resolve(o.dir);
    if (o.tmpImage) o.tmpImage = path.resolve(o.tmpImage);
    return o;
}

class UsageError extends Error {}

const USAGE = "usage: node tools/dosbox-x/run.mjs --conf CONF_FILE --dir DIR --batch RUN.BAT " +
    "--timeout SECONDS [--yield-ms N] [--echo] [--verbose] [--tmp-image IMG]\n";

// ---------------------------------------------------------------------------------------------
// supervisor (the process the harness starts)

async function supervise(opt) {
    if (!fs.statSync(opt.conf, { throwIfNoEntry: false })?.isFile()) return fault(`no such conf file: ${opt.conf}`);
    if (!fs.statSync(opt.dir, { throwIfNoEntry: false })?.isDirectory()) return fault(`no such directory: ${opt.dir}`);
    if (opt.tmpImage && !fs.statSync(opt.tmpImage, { throwIfNoEntry: false })?.isFile()) return fault(`no such image: ${opt.tmpImage}`);

    let current = null;                 // the running child, killed on SIGINT/SIGTERM
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
        process.on(sig, () => {
            if (current) current.kill("SIGKILL");
            process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 })[sig]);
        });
    }

    let reason = null;
    for (let attempt = 1; attempt <= 2; attempt++) {
        if (attempt > 1) process.stderr.write(`${NAME}: retrying once after emulator fault: ${reason}\n`);
        const r = await runChild(opt, attempt, (c) => { current = c; });
        current = null;
        if (r.status === "ok") return EXIT_OK;
        if (r.status === "timeout") {
            process.stderr.write(`${NAME}: timeout: killed DOSBox-X after ${opt.timeout} s\n`);
            return EXIT_TIMEOUT;
        }
        reason = r.reason;
    }
    return fault(`${reason} (twice; retried once)`);
}

function fault(reason) {
    process.stderr.write(`emulator fault: ${String(reason).split("\n")[0]}\n`);
    return EXIT_FAULT;
}

// runs one attempt in a child process; resolves { status: "ok" | "timeout" | "fault", reason }
function runChild(opt, attempt, setCurrent) {
    return new Promise((resolve) => {
        const child = fork(SELF, process.argv.slice(2), {
            // keep the wasm on V8's baseline compiler: on few cores the optimising tier-up of the
            // huge CPU-core functions competes with the emulator and slows short runs down
            execArgv: ["--no-wasm-tier-up", "--no-wasm-dynamic-tiering"],
            env: { ...process.env, DBX_RUNNER_CHILD: String(attempt) },
            stdio: ["ignore", "inherit", "inherit", "ipc"],
        });
        setCurrent(child);
        let report = null;
        let timedOut = false;
        child.on("message", (m) => { report = m; });
        // On timeout, ask the child to copy C: back as it stands (as far as DOS flushed its files:
        // with native DOSBox, too, a killed run leaves what was written so far), then kill it.
        // The child gets the request at the emulator's next yield (--yield-ms); it has
        // TIMEOUT_GRACE_MS to comply.
        let killer = null;
        const timer = setTimeout(() => {
            timedOut = true;
            try { child.send({ cmd: "timeout" }); } catch { /* gone */ }
            killer = setTimeout(() => child.kill("SIGKILL"), Math.max(TIMEOUT_GRACE_MS, opt.yieldMs + 500));
        }, opt.timeout * 1000);
        child.on("error", (e) => { if (!report) report = { status: "fault", reason: `cannot start node: ${e.message}` }; });
        child.on("exit", (code, signal) => {
            clearTimeout(timer);
            clearTimeout(killer);
            if (timedOut) return resolve({ status: "timeout" });
            if (report && report.status === "ok" && code === 0) return resolve({ status: "ok" });
            if (report && report.status === "fault") return resolve(report);
            resolve({ status: "fault", reason: `runner process died (${signal ? "signal " + signal : "exit code " + code})` });
        });
    });
}

// ---------------------------------------------------------------------------------------------
// DOSBox configuration

// Settings under the given conf file: quiet, fast start, no devices we do not need.
const BASE_CONF = `
[sdl]
autolock=false
[dosbox]
machine=svga_s3
memsize=16
fastbioslogo=true
startbanner=false
quit warning=false
[cpu]
core=normal
cycles=fixed 50000
[mixer]
nosound=true
[midi]
mpu401=none
[sblaster]
sbtype=none
[gus]
gus=false
[speaker]
pcspeaker=false
[serial]
serial1=disabled
serial2=disabled
[ipx]
ipx=false
`;

// Forced over the given conf file. ANSI.SYS emulation off: with it on, escape sequences written
// to the console made the wasm trap ("unreachable") in most runs.
const FORCED_CONF = `
[dos]
ansi.sys=false
`;

// -> { sections: Map(section -> Map(key -> value)), autoexec: [lines] }, merged into `into`
function parseConf(text, into = { sections: new Map(), autoexec: [] }) {
    let section = null;
    for (const raw of text.split(/\r?\n/)) {
        const line = raw.trim();
        const head = /^\[([^\]]+)\]$/.exec(line);
        if (head) { section = head[1].trim().toLowerCase(); continue; }
        if (section === "autoexec") { if (line) into.autoexec.push(line); continue; }
        if (!line || line.startsWith("#") || line.startsWith(";") || section === null) continue;
        const eq = line.indexOf("=");
        if (eq < 0) continue;
        if (!into.sections.has(section)) into.sections.set(section, new Map());
        into.sections.get(section).set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
    }
    return into;
}

function formatConf(conf, autoexec) {
    let text = "";
    for (const [section, keys] of conf.sections) {
        text += `[${section}]\n`;
        for (const [k, v] of keys) text += `${k}=${v}\n`;
    }
    return text + "[autoexec]\n" + autoexec.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------
// child: one emulator run

const WEB_HOME = "/home/web_user";      // the emulator's working directory in Emscripten's MEMFS
const C_DIR = WEB_HOME + "/c";          // mounted as C:
const D_IMAGE = WEB_HOME + "/tmpd.img"; // --tmp-image, mounted as D:
const TAG = "DBXRUN" + Date.now().toString(36).toUpperCase();
const BEGIN = `~${TAG}~BEGIN~`;         // echoed around the batch: marks the console text that
const END = `~${TAG}~END~`;             // belongs to it, and proves that the batch returned

async function child(opt) {
    const t0 = performance.now();
    const log = opt.verbose
        ? (...a) => process.stderr.write(`[dosbox-x ${((performance.now() - t0) / 1000).toFixed(2)}s] ${a.join(" ")}\n`)
        : () => {};
    const report = (msg) => new Promise((resolve) => process.send(msg, () => resolve()));

    // last line of defence should the supervisor vanish without killing us
    process.on("disconnect", () => process.exit(EXIT_FAULT));
    process.stdout.on("error", () => { opt.echo = false; });      // e.g. --echo piped into head
    let syncBack = null;                // set once C: exists
    process.on("message", (m) => {
        if (!m || m.cmd !== "timeout") return;
        try { if (syncBack) syncBack("after timeout"); } catch (e) { log(`copy back after timeout failed: ${e.message}`); }
        process.exit(EXIT_TIMEOUT);
    });
    const guard = new Worker(`
        const { workerData } = require("node:worker_threads");
        setTimeout(() => process.kill(process.pid, "SIGKILL"), workerData);`,
    { eval: true, workerData: opt.timeout * 1000 + 10000 });
    guard.unref();

    if (process.env.DBX_RUNNER_INJECT_FAULT && Number(process.env.DBX_RUNNER_CHILD) <= Number(process.env.DBX_RUNNER_INJECT_FAULT)) {
        throw new Error("injected fault (DBX_RUNNER_INJECT_FAULT)");     // for the self-test
    }

    // configuration and autoexec (the conf's own [autoexec] runs first, as with dosbox -c)
    const conf = parseConf(BASE_CONF);
    parseConf(fs.readFileSync(opt.conf, "latin1"), conf);
    parseConf(FORCED_CONF, conf);
    const autoexec = [
        "@echo off",
        ...conf.autoexec.filter((l) => !/^@?echo\s+off$/i.test(l)),
        ...(opt.tmpImage ? [`imgmount d ${D_IMAGE} -t floppy`] : []),
        `mount c ${C_DIR} -q`,
        "c:",
        `echo ${BEGIN}`,
        `call ${opt.batch}`,
        `echo ${END}`,
        "exit",
    ];
    const confText = formatConf(conf, autoexec);
    log("dosbox.conf:\n" + confText);

    // the files of DIR: relative path ("TMP/SWAP.DAT") -> Buffer, and the sub-directories
    const original = new Map();
    const originalDirs = [];
    (function walk(rel) {
        for (const ent of fs.readdirSync(path.join(opt.dir, rel), { withFileTypes: true })) {
            const r = rel ? `${rel}/${ent.name}` : ent.name;
            if (ent.isDirectory()) { originalDirs.push(r); walk(r); }
            else if (ent.isFile()) original.set(r, fs.readFileSync(path.join(opt.dir, r)));
        }
    })("");

    // the emulator: the package is a browserify bundle that sets globalThis.emulators
    const require = createRequire(path.join(HERE, "package.json"));
    let main;
    try { main = require.resolve("emulators"); }
    catch { throw new Error(`npm package "emulators" missing: run "npm ci" in ${HERE}`); }
    require(main);
    const emulators = globalThis.emulators;
    emulators.pathPrefix = path.dirname(main) + "/";
    const wasm = await (await emulators.wasmModules()).dosboxx();
    log("wasm module loaded");

    // We drive the Emscripten module ourselves (as the package's own in-process transport does)
    // to see every message it posts and to reach its file system.
    const Module = {};
    let deliver = null;                 // the CommandInterface's message handler, once it has one
    const early = [];
    let console_ = "";                  // DOS console text
    let exited;
    const exitedP = new Promise((r) => { exited = r; });
    const panics = [];                  // "Backend crashed, cause: ..." and other ws-err messages
    Module.postMessage = (name, props) => {
        switch (name) {
            case "ws-stdout": console_ += String(props.message); if (opt.echo) echoSome(); break;
            case "ws-exit": log("ws-exit"); exited(); break;
            case "ws-err": panics.push(`${props.message}`); log(name, props.tag, props.message); break;
            case "ws-log": case "ws-warn": log(name, props.tag, props.message); break;
            default: break;
        }
        if (deliver) deliver(name, props); else early.push([name, props]);
    };
    const transport = {
        sessionId: "vmemory-" + Date.now(),
        sendMessageToServer: (name, props) => Module.messageHandler({ data: { name, props } }),
        initMessageHandler: (h) => { deliver = h; for (const [n, p] of early.splice(0)) h(n, p); },
        exit: () => {},
        net: null,
    };

    // --echo: stream the console text between the markers
    let echoed = 0;                     // offset in console_ up to which we have looked
    let inside = false;
    function echoSome(final = false) {
        for (;;) {
            if (inside === null) return;    // past END
            if (!inside) {
                const b = console_.indexOf(BEGIN, echoed);
                if (b < 0) return;
                inside = true;
                echoed = b + BEGIN.length;
                if (console_.startsWith("\r\n", echoed)) echoed += 2;
                continue;
            }
            const e = console_.indexOf(END, echoed);
            // hold back what could be the start of a split END marker
            const upto = e >= 0 ? e : final ? console_.length : Math.max(echoed, console_.length - END.length);
            if (upto > echoed) process.stdout.write(console_.slice(echoed, upto).replace(/\r\n/g, "\n"));
            echoed = upto;
            if (e >= 0) { echoed = console_.length; inside = null; }
            return;
        }
    }

    await wasm.instantiate(Module);
    log("wasm instantiated");

    // js-dos yields to the event loop (unwinding the wasm stack with Asyncify) whenever 24 ms
    // have passed since the last wake-up; some of those unwinds corrupt the emulator and it traps
    // later. Its check is `Date.now() - Module.last_wakeup < 24`: report a last wake-up that is
    // (yieldMs - 24) ms later than the real one, so the emulator yields every yieldMs instead.
    if (opt.yieldMs > 24) {
        let lastWakeup = Date.now();
        Object.defineProperty(Module, "last_wakeup", {
            configurable: true,
            get: () => lastWakeup + opt.yieldMs - 24,
            set: (v) => { lastWakeup = v; },
        });
    }

    const FS = Module.FS;
    FS.mkdirTree(C_DIR);
    for (const r of originalDirs) FS.mkdirTree(`${C_DIR}/${r}`);
    for (const [name, data] of original) {
        // a Node Buffer may be a view into a shared pool: hand over a copy that owns its bytes
        FS.writeFile(`${C_DIR}/${name}`, new Uint8Array(data));
    }
    log(`copied ${original.size} files to C:`);
    // the image must own its bytes too (see above)
    if (opt.tmpImage) FS.writeFile(D_IMAGE, new Uint8Array(fs.readFileSync(opt.tmpImage)));
    // copy C: back into DIR: new and changed files, and delete what DOS deleted
    syncBack = (when) => {
        const seen = new Set();
        let written = 0, deleted = 0;
        (function walk(rel) {
            for (const name of FS.readdir(rel ? `${C_DIR}/${rel}` : C_DIR)) {
                if (name === "." || name === "..") continue;
                const r = rel ? `${rel}/${name}` : name;
                const p = `${C_DIR}/${r}`;
                seen.add(r);
                if (FS.isDir(FS.stat(p).mode)) {
                    fs.mkdirSync(path.join(opt.dir, r), { recursive: true });
                    walk(r);
                    continue;
                }
                const data = FS.readFile(p);
                const old = original.get(r);
                if (old && Buffer.compare(old, data) === 0) continue;
                fs.writeFileSync(path.join(opt.dir, r), data);
                written++;
            }
        })("");
        for (const r of original.keys()) {
            if (!seen.has(r)) { fs.rmSync(path.join(opt.dir, r), { force: true }); deleted++; }
        }
        for (const r of [...originalDirs].reverse()) {           // deepest first
            if (!seen.has(r)) { fs.rmSync(path.join(opt.dir, r), { recursive: true, force: true }); deleted++; }
        }
        if (opt.tmpImage) fs.writeFileSync(opt.tmpImage, FS.readFile(D_IMAGE));
        log(`${when}: ${written} files written back, ${deleted} deleted`);
    };

    Module.callMain([transport.sessionId]);
    const ci = emulators.backend([{ dosboxConf: confText, jsdosConf: { version: emulators.version } }], transport, {});
    ci.then(() => log("emulator started"));
    await Promise.race([ci.then(() => exitedP), exitedP]);
    const seconds = ((performance.now() - t0) / 1000).toFixed(2);

    if (opt.echo) echoSome(true);
    // The emulator reports its own crashes (a trap caught by js-dos, a C++ exit(N)) as "ws-err"
    // before "ws-exit"; a normal quit has none.
    if (panics.length > 0) throw new Error(`DOSBox-X crashed: ${panics[0]}`);
    if (!console_.includes(BEGIN)) {
        const tail = console_.replace(/\s+/g, " ").trim().slice(-160);
        throw new Error(`DOSBox-X quit before it ran ${opt.batch}; console: ...${tail}`);
    }
    if (!console_.includes(END)) {
        // what `exit` in the batch does (also under native DOSBox): not a fault
        process.stderr.write(`${NAME}: warning: ${opt.batch} ended the DOS session itself (EXIT) instead of returning\n`);
    }

    syncBack(`done in ${seconds} s`);
    await report({ status: "ok" });
    return EXIT_OK;
}

// A wasm trap or an abort surfaces as an exception: one line for the supervisor.
async function childFailed(e) {
    let reason = e && e.message ? `${e.name && e.name !== "Error" ? e.name + ": " : ""}${e.message}` : String(e);
    const frame = /wasm-function\[(\d+)\]/.exec(e && e.stack ? e.stack : "");
    if (frame) reason += ` in ${wasmFunctionName(Number(frame[1]))}`;
    reason = reason.replace(/\s+/g, " ").trim();
    try {
        await new Promise((resolve) => process.send({ status: "fault", reason }, () => resolve()));
    } catch { /* supervisor gone */ }
    process.exit(EXIT_FAULT);
}

// wasm-function[N] -> C++ name, from the symbol map shipped with the package
function wasmFunctionName(n) {
    try {
        const require = createRequire(path.join(HERE, "package.json"));
        const file = path.join(path.dirname(require.resolve("emulators")), "wdosbox-x.js.symbols");
        const line = fs.readFileSync(file, "utf8").split("\n").find((l) => l.startsWith(n + ":"));
        return line ? line.slice(line.indexOf(":") + 1) : `wasm-function[${n}]`;
    } catch { return `wasm-function[${n}]`; }
}

// ---------------------------------------------------------------------------------------------

let opt;
try {
    opt = parseArgs(process.argv.slice(2));
} catch (e) {
    if (!(e instanceof UsageError)) throw e;
    if (e.message) process.stderr.write(`${NAME}: ${e.message}\n`);
    process.stderr.write(USAGE);
    if (!e.message) process.exit(0);
    process.stderr.write(`emulator fault: bad command line: ${e.message}\n`);
    process.exit(EXIT_FAULT);
}

if (process.env.DBX_RUNNER_CHILD) {
    process.on("uncaughtException", childFailed);
    process.on("unhandledRejection", childFailed);
    child(opt).then((rc) => process.exit(rc), childFailed);
} else {
    supervise(opt).then((rc) => process.exit(rc), (e) => process.exit(fault(`runner error: ${e && e.stack ? e.stack : e}`)));
}
