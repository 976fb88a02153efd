"""Many visitors at once, spread over the workers: everyone is paired
with exactly one other, and lines go to that partner and nobody else."""

import re
import time

from harness import DaemonTest, new_source, poll

N = 40


class TestCrowd(DaemonTest):

    def test_forty_visitors_pair_up_and_chat(self):
        cs = []
        for i in range(N):
            kind = "nc" if i % 4 == 3 else "raw"
            c = getattr(self, kind)(name="v%02d" % i, source=new_source())
            cs.append(c)
        for c in cs:
            self.agree(c)
        for c in cs:
            c.wait_for("connected to a stranger", timeout=10)
        for c in cs:
            self.assertRegex(c.name, r"^v\d\d$")
            c.type_line("token-%s-end" % c.name)
        got = {}
        for c in cs:
            if not poll(lambda: re.search(r"Stranger: token-(v\d\d)-end",
                                          c.view())):
                self.fail("%s got no line from a partner\n%s" %
                          (c.name, c.describe()))
            got[c.name] = set(re.findall(r"Stranger: token-(v\d\d)-end",
                                         c.view()))
        time.sleep(0.3)
        for c in cs:
            got[c.name] = set(re.findall(r"Stranger: token-(v\d\d)-end",
                                         c.view()))
        for name, partners in got.items():
            self.assertEqual(len(partners), 1, "%s heard %s" %
                             (name, sorted(partners)))
            (p,) = partners
            self.assertNotEqual(p, name)
            self.assertEqual(got[p], {name}, "%s heard %s but %s heard %s"
                             % (name, p, p, sorted(got[p])))
        self.assertRegex(cs[0].row(0), r"\b%d online" % N, cs[0].describe())
        self.assertRssBelow(64 * 1024, "with %d visitors" % N)
        # Everyone leaves at once; the daemon notices every one.
        for c in cs:
            c.close()
        log_ends = lambda: len(re.findall(r"\bend\b", self.daemon.log()))
        self.assertTrue(poll(lambda: log_ends() >= N),
                        "%d of %d session ends logged" % (log_ends(), N))
        self.assertStaysUp()


class TestCrowdOneWorker(TestCrowd):
    workers = 1


class TestCrowdFourWorkers(TestCrowd):
    workers = 4
