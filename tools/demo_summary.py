#!/usr/bin/python3
"""The demo's last three lines, from the results tools/demo_fashion.py and
tools/demo_face.py wrote: Fashion-MNIST accuracy on the images shown, the face detector's
RAM against its board's SRAM, instructions per inference.

  demo_summary.py FASHION_RESULT.json FACE_RESULT.json
"""
import json
import sys


def millions(n):
    return "%.2f M" % (n / 1e6) if n < 1e7 else "%.0f M" % (n / 1e6)


def main(fashion_path, face_path):
    fashion, face = json.load(open(fashion_path)), json.load(open(face_path))
    print("Fashion-MNIST  %d of %d images shown classified right (%d %%), int8 C on %s" % (
        fashion["correct"], fashion["images"], round(100.0 * fashion["correct"] /
                                                     fashion["images"]), fashion["board"]))
    print("face detector  %s bytes of RAM of the %s bytes of SRAM on %s (%d %%)" % (
        "{:,}".format(face["ram_bytes"]), "{:,}".format(face["sram_bytes"]), face["board"],
        round(100.0 * face["ram_bytes"] / face["sram_bytes"])))
    print("instructions   %s per inference (Fashion-MNIST), %s (face detector), counted by "
          "QEMU" % (millions(fashion["instructions"]), millions(face["instructions"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
