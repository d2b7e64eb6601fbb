"""MEDIA_STORAGE=s3 against a real S3-protocol server (moto's, on loopback): private objects, presigned reads."""

import re
import socket

import boto3
import httpx
import pytest
from django.core.files.storage import default_storage
from moto.server import ThreadedMotoServer
from storages.backends.s3 import S3Storage

from generations import pipeline, storage
from neurocards.lib import s3
from tests.factories import make_user, place_order, product_photo
from tests.staff import make_support
from tests.test_configuration import FEATURES, manage

pytestmark = pytest.mark.django_db
BUCKET = "neurocards-media"
REGION = "us-east-1"
KEYS = {"aws_access_key_id": "test-access-key", "aws_secret_access_key": "test-secret-key"}


@pytest.fixture(scope="session")
def s3_server():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name=REGION, **KEYS).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def bucket(s3_server, settings):
    """The project's own S3 settings (neurocards/s3.py), pointed at the loopback server."""
    settings.MEDIA_STORAGE = "s3"
    settings.S3_URL_SECONDS = 300
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3.storage(
            bucket=BUCKET,
            endpoint_url=s3_server,
            region=REGION,
            access_key=KEYS["aws_access_key_id"],
            secret_key=KEYS["aws_secret_access_key"],
            addressing_style="path",
            url_seconds=300,
            timeout=5,
        ),
    }
    assert isinstance(default_storage, S3Storage)  # the setting reached the storage the code uses
    client = boto3.client("s3", endpoint_url=s3_server, region_name=REGION, **KEYS)
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])


def stored_keys(client):
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


@pytest.fixture
def finished(workers, bucket, tmp_path):
    """A video made by the pipeline, its photo and result stored in the bucket."""
    photo = product_photo()
    order = place_order(make_user(credits=100), telegram=workers.telegram, photo=photo)
    generation = order.generations[0]
    assert pipeline.submit(generation_id=generation.pk) == "processing"
    generation.refresh_from_db()
    assert pipeline.poll(generation) == "success"
    generation.refresh_from_db()
    assert generation.status == "completed"
    # Nothing went to the local MEDIA_ROOT: the storage really is the bucket.
    assert not any(path.is_file() for path in tmp_path.rglob("*"))
    generation.photo = photo
    return generation


def test_it_stores_the_photo_and_the_result_in_the_bucket_under_random_names(finished, bucket):
    names = {finished.reference_image.name, finished.result_file.name}

    assert stored_keys(bucket) == names
    assert re.fullmatch(r"references/[A-Za-z0-9_-]{32}\.jpg", finished.reference_image.name)
    assert re.fullmatch(r"results/[A-Za-z0-9_-]{32}\.mp4", finished.result_file.name)
    photo = bucket.get_object(Bucket=BUCKET, Key=finished.reference_image.name)
    assert photo["Body"].read() == finished.photo
    result = bucket.get_object(Bucket=BUCKET, Key=finished.result_file.name)
    assert result["ContentType"] == "video/mp4" and result["Body"].read()[4:8] == b"ftyp"


def test_it_refuses_an_unsigned_read_and_serves_a_presigned_one(finished, s3_server):
    name = finished.result_file.name
    plain = httpx.get(f"{s3_server}/{BUCKET}/{name}", timeout=5)
    presigned = default_storage.url(name)

    assert plain.status_code == 403
    assert "X-Amz-Signature=" in presigned and "X-Amz-Expires=300" in presigned
    assert presigned.startswith(f"{s3_server}/{BUCKET}/results/")
    answer = httpx.get(presigned, timeout=5)
    assert answer.status_code == 200 and answer.content[4:8] == b"ftyp"


def test_it_redirects_staff_and_a_signed_link_to_a_presigned_url(finished, client, s3_server):
    client.force_login(make_support())

    for path in (f"/generations/{finished.pk}/media/reference/", storage.result_link(finished)):
        response = client.get(path)
        assert response.status_code == 302, path
        location = response["Location"]
        assert location.startswith(f"{s3_server}/{BUCKET}/") and "X-Amz-Signature=" in location
        assert "X-Amz-Expires=300" in location
        answer = httpx.get(location, timeout=5)
        assert answer.status_code == 200 and answer.content
    assert answer.headers["Content-Disposition"] == f'attachment; filename="video_{finished.pk}.mp4"'

    client.logout()
    assert client.get(f"/generations/{finished.pk}/media/result/").status_code == 302
    assert client.get(f"/generations/{finished.pk}/media/result/")["Location"].startswith("/admin/login/")


@pytest.mark.django_db(databases=[])
def test_it_chooses_the_bucket_from_the_environment_and_names_what_is_missing():
    bucket = {
        "MEDIA_STORAGE": "s3",
        "S3_BUCKET": BUCKET,
        "S3_REGION": "ru-central1",
        "S3_ACCESS_KEY_ID": "key",
        "S3_SECRET_ACCESS_KEY": "secret",
        "S3_ENDPOINT_URL": "https://storage.example.com",
    }
    chosen = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.core.files.storage import default_storage as s; "
        "print(s.__class__.__name__, s.bucket_name, s.default_acl, s.querystring_auth)",
        DJANGO_DEBUG="false",
        **FEATURES,
        **bucket,
    )
    missing = manage("check", DJANGO_DEBUG="false", **FEATURES, **{**bucket, "S3_BUCKET": None, "S3_REGION": ""})

    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout.strip().splitlines()[-1].split() == ["S3Storage", BUCKET, "None", "True"]
    assert missing.returncode != 0
    assert "neurocards.E040" in missing.stderr and "S3_BUCKET, S3_REGION are empty" in missing.stderr
