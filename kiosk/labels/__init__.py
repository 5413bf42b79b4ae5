"""Label rendering (one 1-bit Pillow image) and printer backends (PNG, TSPL, ESC/POS, CUPS).

Generic API for every station:
    from kiosk.labels.render import render_text_qr_label
    from kiosk.labels.printers import get_printer, PrinterError
    label = render_text_qr_label("title", ["line", ...], "QRPAYLOAD", footer=["line"], size="40x30")
    get_printer(settings.printer).print_image(label.image, name="visitor-123")
Pillow and qrcode are imported inside the functions, so importing this package is cheap.
kiosk.labels.ipp asks CUPS about queues and jobs (the CUPS backend sends with `lp`, then follows the job).
"""
