from tests.support.api import PUT

"""The guide's IAM policies against a moto server that enforces them."""


def minimum_policy(bucket: str, *prefixes: str) -> list[dict]:
    """The guide's minimum policy: PutObject and PutObjectAcl, one Resource per prefix."""
    return [
        {
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:PutObjectAcl"],
            "Resource": [f"arn:aws:s3:::{bucket}/{prefix}/*" for prefix in prefixes],
        }
    ]


def body_for(config_body, server, bucket, keys, **overrides) -> dict:
    key_id, secret = keys
    return config_body(
        bucket_name=bucket,
        endpoint_url=server.url,
        access_key_id=key_id,
        secret_key=secret,
        **overrides,
    )


def test_the_minimum_policy_saves_write_only_and_its_probe_exists(api, config_body, iam_s3_server):
    bucket = iam_s3_server.bucket()
    keys = iam_s3_server.user(minimum_policy(bucket, "meetstream"))

    response = api.put(
        PUT,
        body_for(config_body, iam_s3_server, bucket, keys, access_mode="write_only"),
        format="json",
    )

    assert response.status_code == 200, response.json()
    [probe] = iam_s3_server.keys(bucket)
    assert probe.startswith("meetstream/.write_probe_")


def test_the_minimum_policy_is_refused_for_read_write(api, config_body, iam_s3_server):
    bucket = iam_s3_server.bucket()
    keys = iam_s3_server.user(minimum_policy(bucket, "meetstream"))

    response = api.put(PUT, body_for(config_body, iam_s3_server, bucket, keys), format="json")

    assert response.status_code == 400
    body = response.json()
    assert (body["check"], body["reason"]) == ("HeadBucket", "access_denied")
    assert (
        f"Access denied: the credentials may not s3:ListBucket on bucket '{bucket}'."
        in body["message"]
    )


def test_read_write_passes_when_the_policy_allows_heading_the_bucket(
    api, config_body, iam_s3_server
):
    bucket = iam_s3_server.bucket()
    # moto names HeadBucket's permission s3:HeadBucket; AWS checks s3:ListBucket.
    statements = [
        *minimum_policy(bucket, "meetstream"),
        {
            "Effect": "Allow",
            "Action": ["s3:HeadBucket", "s3:ListBucket"],
            "Resource": f"arn:aws:s3:::{bucket}",
        },
    ]
    keys = iam_s3_server.user(statements)

    response = api.put(PUT, body_for(config_body, iam_s3_server, bucket, keys), format="json")

    assert response.status_code == 200, response.json()


CATEGORY_PREFIXES = {
    "audio": "recordings/audio",
    "video": "recordings/video",
    "transcript": "transcripts",
    "metadata": "metadata",
}


def test_per_category_prefixes_pass_when_every_distinct_prefix_is_writable(
    api, config_body, iam_s3_server
):
    bucket = iam_s3_server.bucket()
    keys = iam_s3_server.user(
        minimum_policy(bucket, "recordings/meetstream", *CATEGORY_PREFIXES.values())
    )
    body = body_for(
        config_body,
        iam_s3_server,
        bucket,
        keys,
        access_mode="write_only",
        prefix="recordings/meetstream",
        prefixes=CATEGORY_PREFIXES,
    )

    response = api.put(PUT, body, format="json")

    assert response.status_code == 200, response.json()
    folders = sorted(key.rsplit("/", 1)[0] for key in iam_s3_server.keys(bucket))
    assert folders == sorted(["recordings/meetstream", *CATEGORY_PREFIXES.values()])


def test_per_category_prefixes_fail_when_one_prefix_is_not_writable(
    api, config_body, iam_s3_server
):
    bucket = iam_s3_server.bucket()
    writable = [p for c, p in CATEGORY_PREFIXES.items() if c != "transcript"]
    keys = iam_s3_server.user(minimum_policy(bucket, "recordings/meetstream", *writable))
    body = body_for(
        config_body,
        iam_s3_server,
        bucket,
        keys,
        access_mode="write_only",
        prefix="recordings/meetstream",
        prefixes=CATEGORY_PREFIXES,
    )

    response = api.put(PUT, body, format="json")

    assert response.status_code == 400
    body = response.json()
    assert (body["check"], body["reason"]) == ("PutObject", "access_denied")
    failed = [check["key"] for check in body["checks"] if not check["ok"]]
    assert len(failed) == 1 and failed[0].startswith("transcripts/.write_probe_")
    assert f"s3:PutObject on s3://{bucket}/transcripts/.write_probe_" in body["message"]
    assert sum(check["ok"] for check in body["checks"]) == 4


def test_the_lifecycle_rule_aborts_unfinished_uploads_under_each_prefix_and_s3_takes_it(
    api, config_body, s3_server, bucket
):
    body = config_body(prefixes={"video": "rec/video"})
    assert api.put(PUT, body, format="json").status_code == 200

    response = api.get("/api/v1/admin/configs/policy?document=lifecycle")

    assert response.status_code == 200, response.json()
    rules = response.json()
    s3_server.client().put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration=rules
    )
    applied = s3_server.client().get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert sorted(rule["Filter"]["Prefix"] for rule in applied) == ["meetstream/", "rec/video/"]
    assert {rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] for rule in applied} == {
        2
    }
    policy = api.get("/api/v1/admin/configs/policy").json()
    assert "s3:AbortMultipartUpload" in policy["Statement"][0]["Action"]


def test_a_lifecycle_document_is_refused_with_a_message_for_an_unknown_name(api):
    response = api.get("/api/v1/admin/configs/policy?document=bucket-policy&bucket_name=b")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["document"]
