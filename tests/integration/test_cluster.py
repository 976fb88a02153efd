"""Several nodes sharing one waiting pool through a real redis-server
(cluster in strangerd.conf(5)): cross-node pairing, relay, /next,
a node killed, Redis restarted (empty, with its data, a connection
dropped; cluster_fallback local and wait), and junk published to a node."""

import json
import os
import signal
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from harness import ROOT, Daemon, RawTelnet, free_port, poll, new_source
from harness_ssh import AsyncSsh, PtySsh, make_key

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


class Redis:
    """A redis-server of our own on a free loopback port, nothing saved."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="strangerd-redis-")
        self.port = None
        self.proc = None

    def start(self, port=None):
        self.port = port or free_port()
        self.proc = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        if not poll(lambda: self.ping(), timeout=10):
            raise RuntimeError("redis-server did not start")

    def command(self, *args):
        """One command in RESP; returns the raw reply bytes."""
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        with socket.create_connection(("127.0.0.1", self.port), 2) as s:
            s.sendall(out)
            return s.recv(65536)

    def node_key(self, name):
        """A node's key: under this run of the server (its run_id)."""
        info = self.command("INFO", "server").decode()
        run = info.split("run_id:", 1)[1].split()[0]
        return "strangerd:node:%s:%s" % (run, name)

    def kill_clients(self, name):
        """Close a node's connections (named strangerd-NAME); Redis
        itself keeps running with everything it holds."""
        out = self.command("CLIENT", "LIST").decode()
        ids = [f.split("=")[1] for line in out.splitlines()
               if " name=strangerd-%s " % name in line
               for f in line.split() if f.startswith("id=")]
        for i in ids:
            self.command("CLIENT", "KILL", "ID", i)
        return len(ids)

    def ping(self):
        try:
            return self.command("PING").startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class ClusterTest(unittest.TestCase):
    """Two nodes, a and b, on one Redis."""

    def setUp(self):
        self.redis = Redis()
        self.addCleanup(self.redis.cleanup)
        self.redis.start()
        self.clients = []
        self.nodes = {}
        for name in ("a", "b"):
            self.nodes[name] = self.node(name)

    # Extra strangerd.conf lines for every node of the test.
    extra = ""

    def node(self, name):
        conf = os.path.join(self.redis.dir, name + ".conf")
        with open(conf, "w") as f:
            f.write("cluster redis://127.0.0.1:%d\nnode_name %s\n"
                    "interest_wait 2s\n%s" % (self.redis.port, name,
                                               self.extra))
        d = Daemon(workers=2, args=["-c", conf], ssh=True)
        self.addCleanup(d.cleanup)
        d.start()
        self.joined(d)
        return d

    def joined(self, d, count=1):
        ok = poll(lambda: d.log().count("joined through Redis") >= count,
                  timeout=10)
        self.assertTrue(ok, "node did not join:\n" + d.log()[-2000:])

    def tearDown(self):
        for c in self.clients:
            try:
                c.close()
            except Exception:
                pass
        for name, d in self.nodes.items():
            if d.alive():
                rc = d.terminate()
                self.assertEqual(rc, 0, "node %s on SIGTERM:\n%s" %
                                 (name, d.log()[-3000:]))

    def outage(self):
        """Stop Redis; return a function that starts it again on the
        same port and waits until both nodes are back."""
        port = self.redis.port
        self.redis.stop()
        for d in self.nodes.values():
            self.assertTrue(poll(lambda: "lost Redis" in d.log(),
                                 timeout=10), d.log())

        def back():
            self.redis.start(port)
            for d in self.nodes.values():
                self.joined(d, 2)
        return back

    def visitor(self, node, source=None, interests=None):
        """A visitor on a node who has agreed and is searching."""
        c = RawTelnet(self.nodes[node].port, name="on-" + node,
                      source=source or new_source())
        self.clients.append(c)
        c.wait_for("Press Enter")
        if interests:
            c.type_line(interests)
            c.wait_for("Your interests")
        else:
            c.send(b"\r")
        c.wait_for("looking for a stranger")
        return c

    def cross_pair(self):
        a = self.visitor("a")
        b = self.visitor("b")
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        return a, b

    def chat(self, sender, receiver, text):
        sender.type_line(text)
        sender.wait_for("You: " + text)
        receiver.wait_for("Stranger: " + text)


class TestClusterRelay(ClusterTest):

    def test_visitors_on_two_nodes_pair_chat_and_part(self):
        a, b = self.cross_pair()
        self.chat(a, b, "hello from node a")
        self.chat(b, a, "hello back from node b")
        b.close()
        a.wait_for("The stranger left")

    def test_ssh_visitor_and_telnet_visitor_on_two_nodes(self):
        a = self.visitor("a")
        b = AsyncSsh(self.nodes["b"].ssh_port, name="ssh-on-b")
        self.clients.append(b)
        b.wait_for("Press Enter")
        b.send(b"\r")
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        self.chat(b, a, "over ssh on node b")
        self.chat(a, b, "over telnet on node a")
        # The typing indicator crosses too.
        b.send(b"hel")
        a.wait_for("Stranger is typing")
        b.send(b"lo\r")
        a.wait_for("Stranger: hello")
        a.wait_gone("Stranger is typing")

    def test_shared_interest_across_nodes_then_anyone(self):
        anyone = self.visitor("b")
        a = self.visitor("a", interests="chess, go")
        b = self.visitor("b", interests="Chess")
        a.wait_for("You both like chess")
        b.wait_for("You both like chess")
        self.assertFalse(anyone.has("connected to a stranger"),
                         anyone.describe())
        self.chat(a, b, "chess across nodes")
        # Nobody shares knitting: after interest_wait, anyone will do.
        c = self.visitor("a", interests="knitting")
        self.assertFalse(c.has("connected to a stranger"), c.describe())
        c.wait_for("connected to a stranger", timeout=6)
        anyone.wait_for("connected to a stranger")
        self.chat(anyone, c, "anyone will do")

    def test_online_counts_every_node(self):
        a = self.visitor("a")
        a.wait_for(r"\b1 online", regex=True)
        b = self.visitor("b")
        c = self.visitor("b")
        a.wait_for(r"\b3 online", regex=True)
        b.wait_for(r"\b3 online", regex=True)
        c.close()
        a.wait_for(r"\b2 online", regex=True)

    def test_moderator_notice_reaches_every_node(self):
        key, _ = make_key(self.redis.dir, "mod")
        path = os.path.join(self.nodes["a"].statedir, "moderators")
        with open(key + ".pub") as k, open(path, "w") as f:
            f.write(k.read())
        os.chmod(path, 0o600)
        here = self.visitor("a")
        there = self.visitor("b")
        m = PtySsh(self.nodes["a"].ssh_port, key=key, name="moderator")
        self.clients.append(m)
        m.wait_for("console")
        m.send(b"n")
        m.wait_for("Notice to everyone:")
        m.type_line("Maintenance on every node")
        m.wait_for("to everyone? y/n")
        m.send(b"y")
        here.wait_for("Notice from the moderators: Maintenance on every node")
        there.wait_for("Notice from the moderators: Maintenance on every node")
        self.assertEqual(there.screen_text().count("Maintenance on every node"), 1)

    def test_next_across_nodes_finds_someone_else(self):
        a, b = self.cross_pair()
        c = self.visitor("b")
        a.type_line("/next")
        b.wait_for("The stranger left")
        # a may not meet b again; c, on node b too, is the one waiting.
        c.wait_for("connected to a stranger")
        self.chat(a, c, "hi c, a here")
        self.chat(c, a, "hi a")
        self.assertFalse(b.has("hi c, a here"))

    def test_never_the_stranger_just_left_across_nodes(self):
        a, b = self.cross_pair()
        a.type_line("/next")
        b.wait_for("The stranger left")
        b.send(b"\r")
        b.wait_for("looking for a stranger")
        # Both wait, on two nodes, and may not meet again: each meets
        # one of the next two.
        c = self.visitor("a")
        d = self.visitor("b")
        for v in (a, b, c, d):
            v.wait_for("connected to a stranger")
        a.type_line("hi from a")
        a.wait_for("You: hi from a")
        self.assertTrue(poll(lambda: c.has("Stranger: hi from a") or
                             d.has("Stranger: hi from a")))
        self.assertFalse(b.has("hi from a"), b.describe())

    def test_blocked_pair_never_meets_again_across_nodes(self):
        a = self.visitor("a", "127.0.0.2")
        b = self.visitor("b", "127.0.0.3")
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        a.type_line("/block")
        b.wait_for("The stranger left")
        # A new connection from the same address, so only the block
        # (by identity, in Redis) can keep them apart.
        b.close()
        b2 = self.visitor("b", "127.0.0.3")
        a.type_line("")
        a.wait_for("looking for a stranger")
        time.sleep(1.5)
        self.assertFalse(b2.has("connected to a stranger"), b2.describe())
        c = self.visitor("a")
        c.wait_for("connected to a stranger")

    def reports(self, node):
        ctl = os.path.join(ROOT, "strangerctl")

        def reports():
            p = subprocess.run([ctl, "-d", self.nodes[node].statedir, "-j",
                                "reports"], capture_output=True, timeout=20)
            return json.loads(p.stdout or b"[]")
        return poll(reports)

    def test_report_of_a_visitor_on_another_node_is_kept(self):
        # The reported visitor's address crosses with the pairing
        # (pub/sub), so the report can be actioned like a local one.
        source = new_source()
        a = self.visitor("a")
        b = self.visitor("b", source=source)
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        self.chat(b, a, "something rude")
        a.type_line("/report rude")
        a.wait_for("Thank you")
        b.wait_for("The stranger left")
        got = self.reports("a")
        self.assertEqual(len(got), 1, got)
        self.assertIn("reported: something rude", got[0]["evidence"])
        self.assertIn(source, got[0]["reported"], got)
        self.assertIn("telnet", got[0]["reported"], got)

    def test_identity_not_as_written_is_dropped(self):
        # An identity published to a node must read exactly as a node
        # writes it ("transport address key", one space each): one that
        # only sscanf would take ("ssh9.9.9.9  KEY") must not replace
        # the partner's real one, which the report then keeps.
        source = new_source()
        a = self.visitor("a")
        b = self.visitor("b", source=source)
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        self.chat(b, a, "first")
        p = subprocess.run([os.path.join(ROOT, "strangerctl"), "-d",
                            self.nodes["a"].statedir, "-j", "sessions"],
                           capture_output=True, timeout=20)
        row = [r for r in json.loads(p.stdout) if r["node"] == "a"][0]

        def handle(name):
            w, slot, gen = (int(x) for x in name.split(":")[1].split("."))
            return "%x" % (w << 56 | gen << 32 | slot)
        boot = self.redis.command("GET", self.redis.node_key("b"))
        boot = boot.split(b"\r\n")[1].decode()
        forged = "I b %s %s %s 0 0 ssh9.9.9.9  SHA256:forged" % (
            boot, handle(row["partner"]), handle(row["id"]))
        self.assertIn(b":1", self.redis.command(
            "PUBLISH", "strangerd:to:a", forged))
        # After the forged identity on the same channel: it was read.
        self.chat(b, a, "something rude")
        a.type_line("/report rude")
        a.wait_for("Thank you")
        got = self.reports("a")
        self.assertEqual(len(got), 1, got)
        self.assertIn(source, got[0]["reported"], got)

    def test_report_of_an_ssh_visitor_on_another_node_has_its_key(self):
        path, fp = make_key(self.redis.dir, "rude")
        a = self.visitor("a")
        b = AsyncSsh(self.nodes["b"].ssh_port, keys=[path], name="ssh-on-b")
        self.clients.append(b)
        b.wait_for("Press Enter")
        b.send(b"\r")
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        self.chat(b, a, "rude over ssh")
        # The stranger says something nasty and leaves first.
        b.close()
        a.wait_for("The stranger left")
        a.type_line("/report rude")
        a.wait_for("Thank you")
        got = self.reports("a")
        self.assertEqual(len(got), 1, got)
        self.assertIn(fp, got[0]["reported"], got)
        self.assertIn("reported: rude over ssh", got[0]["evidence"])

    def test_junk_published_to_a_node_is_dropped(self):
        junk = [b"", b"L", b"L a 1 2 3 4 5", b"P b 0 0 0 0 0 ",
                b"L b 1 1 100000000000001 0 0 hi", b"X \x00 1 2 3 4 5 ",
                b"L b zz 1 1 0 0 x", b"T " + b"n" * 200 + b" 1 1 1 0 1 ",
                b"L b 1 1 " + b"f" * 40 + b" 0 0 x", b"x" * 70000]
        for j in junk:
            self.redis.command("PUBLISH", "strangerd:to:a", j)
        a, b = self.cross_pair()
        self.chat(a, b, "still fine")
        self.assertTrue(self.nodes["a"].alive())


class TestClusterModeration(ClusterTest):
    """strangerctl and the console on one node see and act on every
    node's sessions."""

    def ctl(self, node, *args):
        p = subprocess.run([os.path.join(ROOT, "strangerctl"), "-d",
                            self.nodes[node].statedir] + list(args),
                           capture_output=True, timeout=20)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def sessions(self, node):
        rc, out, err = self.ctl(node, "-j", "sessions")
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def session_of(self, node, source):
        """The row of the visitor from source, as node lists it."""
        rows = []

        def find():
            rows[:] = [r for r in self.sessions(node)
                       if r["address"] == source]
            return rows
        self.assertTrue(poll(find), self.sessions(node))
        return rows[0]

    def moderator(self, node):
        key, fp = make_key(self.redis.dir, "mod")
        path = os.path.join(self.nodes[node].statedir, "moderators")
        with open(key + ".pub") as k, open(path, "w") as f:
            f.write(k.read())
        os.chmod(path, 0o600)
        return key

    def test_sessions_from_one_node_list_every_node_with_its_node(self):
        here, there = new_source(), new_source()
        self.visitor("a", source=here)
        self.visitor("b", source=there)
        mine = self.session_of("a", here)
        theirs = self.session_of("a", there)
        self.assertEqual(mine["node"], "a")
        self.assertEqual(theirs["node"], "b")
        self.assertTrue(mine["id"].startswith("a:"), mine)
        self.assertTrue(theirs["id"].startswith("b:"), theirs)
        # Node b lists the same two, under the same ids.
        self.assertEqual(self.session_of("b", there)["id"], theirs["id"])
        self.assertEqual(self.session_of("b", here)["id"], mine["id"])
        # The text table has a NODE column.
        rc, out, _ = self.ctl("a", "sessions")
        self.assertEqual(rc, 0)
        self.assertIn("NODE", out.splitlines()[0])
        self.assertIn(theirs["id"], out)

    def test_partners_on_two_nodes_name_each_other(self):
        sa, sb = new_source(), new_source()
        a = self.visitor("a", source=sa)
        b = self.visitor("b", source=sb)
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        ra, rb = self.session_of("a", sa), self.session_of("a", sb)
        self.assertEqual(ra["partner"], rb["id"])
        self.assertEqual(rb["partner"], ra["id"])

    def test_kick_from_one_node_of_a_visitor_on_another(self):
        there = new_source()
        v = self.visitor("b", source=there)
        sid = self.session_of("a", there)["id"]
        rc, out, err = self.ctl("a", "kick", sid)
        self.assertEqual(rc, 0, err)
        self.assertIn("node b: kicked", out)
        v.wait_for("A moderator ended your session.")
        self.assertTrue(v.wait_closed(), v.describe())
        self.assertFalse([r for r in self.sessions("a")
                          if r["address"] == there])
        # Gone: a second kick says so.
        rc, _, err = self.ctl("a", "kick", sid)
        self.assertNotEqual(rc, 0)
        self.assertIn("no such session", err)

    def test_stats_give_totals_and_each_node(self):
        self.visitor("a")
        self.visitor("b")
        self.visitor("b")

        def stats():
            rc, out, err = self.ctl("a", "-j", "stats")
            s = json.loads(out)
            return s if s["sessions"] == 3 else None
        s = poll(stats)
        self.assertTrue(s, self.ctl("a", "-j", "stats"))
        self.assertEqual(s["a:sessions"], 1, s)
        self.assertEqual(s["b:sessions"], 2, s)
        self.assertEqual(s["a:waiting"] + s["b:waiting"] +
                         s["a:chatting"] + s["b:chatting"], 3, s)

    def test_console_lists_and_kicks_sessions_of_every_node(self):
        key = self.moderator("a")
        there = new_source()
        v = self.visitor("b", source=there)
        sid = self.session_of("a", there)["id"]
        m = AsyncSsh(self.nodes["a"].ssh_port, keys=[key], pty=False,
                     name="console")
        self.clients.append(m)
        m.wait_for("pairings since the start")
        m.send(b"sessions\n")
        m.wait_for(sid)
        self.assertIn("NODE", m.text())
        m.send(b"stats\n")
        m.wait_for("node b: 1 online")
        # The full-screen console lists it too, with its node.
        f = PtySsh(self.nodes["a"].ssh_port, key=key, cols=120, rows=30,
                   name="full-console")
        self.clients.append(f)
        f.wait_for("NODE")
        f.wait_for(sid)
        m.send(b"kick %s\n" % sid.encode())
        v.wait_for("A moderator ended your session.")
        m.wait_for("node b: kicked")
        f.wait_gone(sid)

    def test_a_killed_node_is_named_not_waited_for(self):
        here, there = new_source(), new_source()
        self.visitor("a", source=here)
        self.visitor("b", source=there)
        self.session_of("a", there)
        self.nodes["b"].kill()
        rc, out, err = self.ctl("a", "-j", "sessions")
        self.assertEqual(rc, 0, err)
        self.assertIn("node b: no answer", err)
        self.assertEqual([r["address"] for r in json.loads(out)], [here])
        rc, out, err = self.ctl("a", "-j", "stats")
        self.assertEqual(rc, 0, err)
        self.assertIn("node b: no answer", err)
        self.assertEqual(json.loads(out)["sessions"], 1)

    def test_without_redis_a_node_answers_for_itself_and_says_so(self):
        here = new_source()
        self.visitor("a", source=here)
        self.session_of("a", here)
        self.redis.stop()
        self.assertTrue(poll(lambda: "lost Redis" in self.nodes["a"].log()))
        rc, out, err = self.ctl("a", "-j", "sessions")
        self.assertEqual(rc, 0, err)
        self.assertIn("Redis is away: this node only", err)
        self.assertEqual([r["address"] for r in json.loads(out)], [here])

    def test_redis_slow_to_list_the_nodes_is_said(self):
        # Redis does not say which nodes are alive within the deadline
        # (paused, busy): the answer is this node's alone, and says so
        # rather than passing for the whole cluster's.
        here, there = new_source(), new_source()
        self.visitor("a", source=here)
        self.visitor("b", source=there)
        self.session_of("a", there)
        self.redis.command("CLIENT", "PAUSE", "3500")
        rc, out, err = self.ctl("a", "-j", "sessions")
        self.assertEqual(rc, 0, err)
        self.assertIn("this node only", err)
        self.assertEqual([r["address"] for r in json.loads(out)], [here])

    def test_junk_answers_are_dropped(self):
        here, there = new_source(), new_source()
        self.visitor("a", source=here)
        self.visitor("b", source=there)
        self.session_of("a", there)
        # Node b is stopped, so a waits its deadline for b while the
        # junk comes: answers from b that are not whole rows of b's,
        # counts out of bounds, and whole rows from a node nobody asked.
        os.kill(self.nodes["b"].proc.pid, signal.SIGSTOP)
        good = "row\tevil:0.1.1\ttelnet\t192.0.2.66\t-\twaiting\t1s\t-\tevil"
        junk = ["row\tb:0.1.1\ttelnet\t192.0.2.1\t-\twaiting\t1s\t-\tc",
                "row\ta:0.1.1\ttelnet\t192.0.2.2\t-\twaiting\t1s\t-\tb",
                "row\tb:x\ttelnet\t192.0.2.3\t-\twaiting\t1s\t-\tb",
                "row\tb:0.1.1\ttelnet\t192.0.2.4\x1b[2J\t-\twaiting\t1s\t-\tb",
                "row\tb:0.1.1\ttelnet\t192.0.2.5\t-\twaiting",
                "row\tb:0.1.1\ttelnet\t192.0.2.6\t" + "k" * 300 +
                "\twaiting\t1s\t-\tb",
                "bad\\q"]
        stop = []

        def flood():
            while not stop:
                for i in range(1, 40):
                    self.redis.command(
                        "PUBLISH", "strangerd:to:a",
                        "R b 1 %x 0 0 0 %s\n" % (i, "\n".join(junk)))
                    self.redis.command(
                        "PUBLISH", "strangerd:to:a",
                        "R evil 1 %x 0 0 1 %s\n" % (i, good))
                    self.redis.command(
                        "PUBLISH", "strangerd:to:a",
                        "R b 1 %x 0 0 0 99999999999 1 2 3 4" % i)
                    self.redis.command(
                        "PUBLISH", "strangerd:all", "Q b 1 %x 0 0 63 " % i)
                    self.redis.command(
                        "PUBLISH", "strangerd:to:a", "K b 1 %x 0 0 0 " % i)
        t = threading.Thread(target=flood)
        t.start()
        try:
            time.sleep(0.2)
            rc, out, err = self.ctl("a", "-j", "sessions")
            rc2, out2, err2 = self.ctl("a", "-j", "stats")
        finally:
            stop.append(1)
            t.join()
            os.kill(self.nodes["b"].proc.pid, signal.SIGCONT)
        self.assertEqual(rc, 0, err)
        self.assertEqual([r["address"] for r in json.loads(out)], [here],
                         out)
        self.assertIn("node b: no answer", err)
        self.assertEqual(rc2, 0, err2)
        self.assertIn("node b: no answer", err2)
        self.assertEqual(json.loads(out2)["sessions"], 1, out2)
        self.assertNotIn("b:sessions", json.loads(out2), out2)
        self.assertTrue(self.nodes["a"].alive())


class TestClusterFailures(ClusterTest):

    def test_kill_9_of_a_node_ends_its_chats_elsewhere(self):
        a, b = self.cross_pair()
        self.chat(a, b, "before the crash")
        start = time.monotonic()
        self.nodes["b"].kill()
        a.wait_for("The stranger left", timeout=8)
        self.elapsed = time.monotonic() - start
        # Nobody is paired with a ghost of the dead node's visitors.
        c = self.visitor("a")
        a.type_line("/next")
        c.wait_for("connected to a stranger")

    def test_ghost_of_a_dead_node_is_never_paired(self):
        # A member left in the pool by a node whose key has expired.
        self.redis.command("SADD", "strangerd:waiting", "dead 1 2 3")
        a = self.visitor("a")
        self.assertTrue(poll(lambda: self.redis.command(
            "SISMEMBER", "strangerd:waiting", "dead 1 2 3") == b":0\r\n"))
        self.assertFalse(a.has("connected to a stranger"), a.describe())
        b = self.visitor("b")
        a.wait_for("connected to a stranger")
        self.chat(b, a, "a real stranger")

    def test_lost_pairing_message_puts_the_visitor_back(self):
        # A node that is alive in Redis but never reads its channel:
        # nothing acknowledges the pairing.
        self.redis.command("SET", self.redis.node_key("mute"), "1", "EX",
                           "60")
        self.redis.command("SADD", "strangerd:waiting", "mute 1 2 3")
        a = self.visitor("a")
        a.wait_for("connected to a stranger")
        a.wait_for("The stranger left", timeout=8)
        self.assertIn("did not answer", self.nodes["a"].log())

    def test_stalled_redis_blocks_nobody(self):
        a, b = self.cross_pair()
        self.redis.proc.send_signal(signal.SIGSTOP)
        try:
            # Workers answer at once: a new visitor gets the welcome.
            c = self.visitor("a")
            # The stall is noticed; cross-node chats end, and node a
            # pairs its own visitors meanwhile.
            a.wait_for("The stranger left", timeout=10)
            a.type_line("/next")
            c.wait_for("connected to a stranger")
            self.chat(a, c, "while Redis sleeps")
            for d in self.nodes.values():
                self.assertTrue(poll(lambda: "lost Redis" in d.log(),
                                     timeout=10), d.log())
        finally:
            self.redis.proc.send_signal(signal.SIGCONT)
        for d in self.nodes.values():
            self.joined(d, 2)
        d = self.visitor("a")
        b.type_line("/next")
        d.wait_for("connected to a stranger")
        self.chat(b, d, "Redis is awake")

    def test_sigterm_of_a_node_tells_partners_at_once(self):
        a, b = self.cross_pair()
        self.assertEqual(self.nodes["b"].terminate(), 0)
        a.wait_for("The stranger left")


class TestClusterRedisRestart(ClusterTest):
    """Redis lost and back: killed, restarted empty or with its data, a
    node's connection alone dropped, the pairing script refused."""

    def test_redis_restart_pairs_locally_then_across_again(self):
        a, b = self.cross_pair()
        port = self.redis.port
        self.redis.stop()
        a.wait_for("The stranger left")
        b.wait_for("The stranger left")
        # Meanwhile each node pairs its own visitors.
        c = self.visitor("a")
        a.type_line("/next")
        c.wait_for("connected to a stranger")
        self.redis.start(port)
        for d in self.nodes.values():
            self.joined(d, 2)
        for d in self.nodes.values():
            self.assertEqual(d.log().count("lost Redis"), 1, d.log())
        d = self.visitor("a")
        b.type_line("/next")
        d.wait_for("connected to a stranger")
        self.chat(d, b, "across again")

    def test_chat_ended_by_losing_redis_says_why(self):
        a, b = self.cross_pair()
        self.redis.stop()
        for v in (a, b):
            v.wait_for("The chat network failed")
            self.assertFalse(v.has("The stranger left."), v.describe())

    def test_waiting_alone_in_an_outage_meets_another_node_after(self):
        back = self.outage()
        # Alone on node a while Redis is away: node a's matchmaker
        # keeps her.
        a = self.visitor("a")
        back()
        # Back in the shared pool without a keystroke.
        b = self.visitor("b")
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        self.chat(a, b, "met after the outage")

    def test_waiting_through_a_restart_with_data_meets_once(self):
        # Waiting in Redis's pool before, kept on disk by Redis, and in
        # node a's matchmaker during the outage: one member after.
        a = self.visitor("a")
        self.redis.command("SAVE")
        back = self.outage()
        back()
        b = self.visitor("b")
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        c = self.visitor("b")
        time.sleep(1.5)
        self.assertFalse(c.has("connected to a stranger"), c.describe())
        self.chat(b, a, "one of you")

    def test_ghost_from_before_a_restart_with_data_is_never_paired(self):
        gone = self.visitor("a")
        self.redis.command("SAVE")
        back = self.outage()
        # She leaves while Redis is away: her member is still in the
        # pool Redis saved, under node a's live key.
        gone.close()
        back()
        b = self.visitor("b")
        time.sleep(1.5)
        self.assertFalse(b.has("connected to a stranger"), b.describe())
        c = self.visitor("a")
        b.wait_for("connected to a stranger")
        self.chat(c, b, "a real one")

    def test_only_a_node_connection_dropped(self):
        a1, b1 = self.cross_pair()
        a2 = self.visitor("a")
        self.assertEqual(self.redis.kill_clients("a"), 2)
        a1.wait_for("The chat network failed")
        # Node b sees node a's key change: that chat is over there too.
        b1.wait_for("The stranger left")
        self.joined(self.nodes["a"], 2)
        # a2 is in the pool once, under node a's new boot.
        b2 = self.visitor("b")
        a2.wait_for("connected to a stranger")
        b2.wait_for("connected to a stranger")
        b3 = self.visitor("b")
        time.sleep(1.5)
        self.assertFalse(b3.has("connected to a stranger"), b3.describe())
        self.chat(b2, a2, "after the drop")

    def test_one_log_line_per_change_while_redis_refuses(self):
        back = self.outage()
        # Several retries (0.25 s, 0.5 s, 1 s, 2 s...) fail meanwhile.
        time.sleep(5)
        back()
        for d in self.nodes.values():
            log = d.log()
            self.assertEqual(log.count("cluster: lost Redis"), 1, log)
            self.assertEqual(log.count("cluster: cannot reach"), 0, log)
            self.assertEqual(log.count("joined through Redis"), 2, log)

    def test_pairing_script_refused_is_tried_again(self):
        # Redis is up but refuses the script for a while (here an ACL;
        # in life OOM, BUSY...): wants are held, not handed to the local
        # matchmaker, and one line says so.
        self.redis.command("ACL", "SETUSER", "default", "-eval", "-evalsha")
        a = self.visitor("a")
        b = self.visitor("b")
        for d in self.nodes.values():
            self.assertTrue(poll(lambda: "pairing script" in d.log()),
                            d.log())
        time.sleep(2.5)
        self.redis.command("ACL", "SETUSER", "default", "+eval", "+evalsha")
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        for d in self.nodes.values():
            self.assertEqual(d.log().count("pairing script"), 1, d.log())

    def calls(self, command):
        """How many times Redis ran a command (INFO commandstats)."""
        info = self.redis.command("INFO", "commandstats").decode()
        for line in info.splitlines():
            if line.startswith("cmdstat_%s:calls=" % command):
                return int(line.split("=", 1)[1].split(",", 1)[0])
        return 0

    def errors(self, prefix):
        """How many errors of a kind Redis answered (INFO errorstats)."""
        info = self.redis.command("INFO", "errorstats").decode()
        for line in info.splitlines():
            if line.startswith("errorstat_%s:count=" % prefix):
                return int(line.split("=", 1)[1])
        return 0

    def test_pairing_script_is_sent_by_its_digest(self):
        # Each want names the script Redis keeps (EVALSHA), not its
        # whole text (EVAL): a node sends a script as text only the
        # first time (with SCRIPT LOAD), and the join script once a
        # connection.  So after a first pairing, and once every node's
        # beat goes by digest (no EVAL for a while), a second pairing
        # adds EVALSHAs and no EVAL.
        a, b = self.cross_pair()
        self.chat(a, b, "first")

        def settled():
            evals = self.calls("eval")
            time.sleep(2.5)
            return self.calls("eval") == evals
        self.assertTrue(poll(settled, timeout=30), "EVALs go on")
        evals, digests = self.calls("eval"), self.calls("evalsha")
        c = self.visitor("a")
        d = self.visitor("b")
        c.wait_for("connected to a stranger")
        d.wait_for("connected to a stranger")
        self.chat(c, d, "by digest")
        self.assertEqual(self.calls("eval"), evals)
        self.assertGreaterEqual(self.calls("evalsha"), digests + 2)

    def test_pairing_script_flushed_from_redis_is_sent_again(self):
        # Redis forgot the scripts (SCRIPT FLUSH): a want answered
        # NOSCRIPT goes again as text, nothing is logged, and the
        # visitors meet as ever.
        self.redis.command("SCRIPT", "FLUSH")
        a, b = self.cross_pair()
        self.chat(a, b, "after the flush")
        for d in self.nodes.values():
            self.assertNotIn("pairing script", d.log())
        # And a cancel after a flush is not lost: the visitor who left
        # is no member of the pool any more.
        self.redis.command("SCRIPT", "FLUSH")
        c = self.visitor("a")
        self.assertTrue(poll(lambda: b"*1\r\n" in self.redis.command(
            "SMEMBERS", "strangerd:waiting")), "c is not waiting")
        self.redis.command("SCRIPT", "FLUSH")
        c.close()
        self.assertTrue(poll(lambda: self.redis.command(
            "SMEMBERS", "strangerd:waiting") == b"*0\r\n"),
            self.redis.command("SMEMBERS", "strangerd:waiting"))

    def evalsha_beats(self, more):
        """Wait until Redis ran `more` further EVALSHAs; no visitor
        wants a partner, so each is a node's beat counting people."""
        start = self.calls("evalsha")
        self.assertTrue(poll(lambda: self.calls("evalsha") >= start + more,
                             timeout=10, interval=0.2),
                        "%d EVALSHA in 10 s" % (self.calls("evalsha") - start))

    def test_count_script_is_sent_by_its_digest(self):
        # The beat counting people on every node, once a second a node,
        # names the script Redis keeps, not its whole text: after the
        # first beat (sent as text: the digest is not known yet), no
        # EVAL at all while the beats go on.
        self.evalsha_beats(2)
        evals = self.calls("eval")
        self.evalsha_beats(4)
        self.assertEqual(self.calls("eval"), evals)

    def test_count_script_flushed_from_redis_is_sent_again(self):
        # Redis forgot the scripts (SCRIPT FLUSH): a beat answered
        # NOSCRIPT goes again as text, so the counts stay right, and
        # the beats after it go by digest again.
        a = self.visitor("a")
        a.wait_for(r"\b1 online", regex=True)
        self.redis.command("SCRIPT", "FLUSH")
        # The first beat after it meets NOSCRIPT (one node's, or both's
        # if they race: the script is loaded again for everyone).
        self.assertTrue(poll(lambda: self.errors("NOSCRIPT") >= 1,
                             timeout=10, interval=0.2),
                        "no beat met the flush")
        self.visitor("b")
        self.visitor("b")
        a.wait_for(r"\b3 online", regex=True)
        self.evalsha_beats(2)
        evals = self.calls("eval")
        self.evalsha_beats(4)
        self.assertEqual(self.calls("eval"), evals)


class TestClusterFallbackWait(ClusterTest):
    """cluster_fallback wait: no pairing while Redis is away."""

    extra = "cluster_fallback wait\n"

    def test_no_local_pairing_while_redis_is_away(self):
        back = self.outage()
        a1 = self.visitor("a")
        a2 = self.visitor("a")
        for v in (a1, a2):
            v.wait_for("the chat network is unavailable")
        time.sleep(1.5)
        for v in (a1, a2):
            self.assertFalse(v.has("connected to a stranger"), v.describe())
        back()
        b = self.visitor("b")
        for v in (a1, a2):
            v.wait_for("the chat network is back")
        # Three wait in the shared pool: two of them meet, and a third
        # visitor makes the second pair.
        c = self.visitor("b")
        for v in (a1, a2, b, c):
            v.wait_for("connected to a stranger")

    def test_waiting_visitor_is_kept_through_the_outage(self):
        a = self.visitor("a")
        back = self.outage()
        a.wait_for("the chat network is unavailable")
        self.assertTrue(poll(lambda: "waiting for the chat network" in
                             a.row(0)), a.describe())
        back()
        a.wait_for("the chat network is back")
        self.assertTrue(poll(lambda: "looking for a stranger" in a.row(0)),
                        a.describe())
        b = self.visitor("b")
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")


if __name__ == "__main__":
    unittest.main()
