"""Creates a bucket on the S3 server at ENDPOINT and uploads FILES under their
relative paths: python upload.py ENDPOINT BUCKET FILE..."""
import sys

import boto3

endpoint, bucket, files = sys.argv[1], sys.argv[2], sys.argv[3:]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
s3.create_bucket(Bucket=bucket)
for path in files:
    s3.upload_file(path, bucket, path)
print(f"uploaded {len(files)} files to s3://{bucket}/")
