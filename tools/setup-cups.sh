#!/usr/bin/env bash
# Installs what the CUPS label tests need (tests/test_cups.py): the CUPS server and client commands, the
# cups-pdf virtual printer and poppler's pdfinfo/pdfimages to read its PDFs. The tests start their own
# private cupsd; nothing here starts or configures the system's CUPS. Idempotent; needs root (CI runs as root).
set -euo pipefail
need=(/usr/sbin/cupsd /usr/bin/lp /usr/bin/lpstat /usr/bin/cancel /usr/sbin/lpadmin /usr/sbin/cupsdisable
      /usr/sbin/cupsenable /usr/lib/cups/filter/imagetopdf /usr/lib/cups/backend/cups-pdf
      /usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd /usr/bin/gs /usr/bin/pdfinfo /usr/bin/pdfimages)
missing=0
for path in "${need[@]}"; do [ -e "$path" ] || missing=1; done
[ "$missing" = 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "setup-cups: run as root to install cups cups-client cups-filters cups-pdf ghostscript poppler-utils" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends cups cups-client cups-filters cups-pdf ghostscript poppler-utils >/dev/null
