"""A program that asks the offline engine to read an existing resource, which it refuses."""

import pulumi_aws as aws

existing = aws.ec2.Vpc.get("existing", "vpc-0123456789abcdef0")
