#!/usr/bin/python3
# What `gst-inspect-1.0 rtmpingestsrc` / `rtmppublishsink` show a user:
# plugin metadata (licence, version, origin, package), a long description
# with an example launch line that parses, and a full blurb (a sentence, not
# a word) for every property the elements define.
#
#   inspect_check.py EXPECTED_VERSION
# SPDX-License-Identifier: LGPL-2.1-or-later
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "interop"))
import testwrap  # noqa: E402

testwrap.check_this_process()
import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import GObject, Gst  # noqa: E402

MIN_BLURB = 40          # characters: a sentence saying what and in what unit
ELEMENTS = ("rtmpingestsrc", "rtmppublishsink")
problems = []


def check(cond, what):
    print("%s: %s" % ("ok" if cond else "FAIL", what))
    if not cond:
        problems.append(what)


def main(version):
    Gst.init(None)
    plugin = Gst.Registry.get().find_plugin("rtmpingest")
    check(plugin is not None, "plugin rtmpingest found")
    if plugin is None:
        return 1
    check(plugin.get_license() == "LGPL", "licence LGPL (got %s)" %
          plugin.get_license())
    check(plugin.get_version() == version, "version %s (got %s)" % (
        version, plugin.get_version()))
    origin = plugin.get_origin() or ""
    check(origin and "example.invalid" not in origin,
          "origin is set and not a placeholder (got %r)" % origin)
    check(plugin.get_source() == "gst-rtmp-ingest", "source module")
    check(bool(plugin.get_package()), "binary package name")
    check(len(plugin.get_description()) > 20, "plugin description")

    for name in ELEMENTS:
        r = subprocess.run(testwrap.wrap(["gst-inspect-1.0", name]),
                           capture_output=True, text=True)
        check(r.returncode == 0 and "Element Properties" in r.stdout,
              "gst-inspect-1.0 %s runs" % name)
        factory = Gst.ElementFactory.find(name).load()
        desc = factory.get_metadata("description")
        check(len(desc) >= 100, "%s: long description (%d chars)" %
              (name, len(desc)))
        m = re.search(r"gst-launch-1\.0 (?:-e )?(.*?)(?: \(|$)", desc)
        check(m is not None, "%s: description has an example launch line" %
              name)
        if m:
            line = m.group(1).replace("HOST", "127.0.0.1")
            try:
                p = Gst.parse_launch(line)
                ok = p is not None
            except GObject.GError as e:
                ok = False
                print("   %s" % e.message)
            check(ok, "%s: example launch line parses: %s" % (name, line))
        check(factory.get_metadata("long-name") and
              factory.get_metadata("klass") and
              factory.get_metadata("author"), "%s: metadata" % name)
        gtype = factory.get_element_type()
        for spec in GObject.list_properties(gtype):
            if spec.owner_type != gtype:
                continue
            check(len(spec.blurb or "") >= MIN_BLURB and spec.nick,
                  "%s.%s: blurb of %d chars: %r" % (
                      name, spec.name, len(spec.blurb or ""), spec.blurb))
    if problems:
        print("\n%d problem(s):\n  %s" % (len(problems),
                                          "\n  ".join(problems)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
