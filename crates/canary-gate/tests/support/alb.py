"""Creates an ALB with a listener, a rule forwarding to a stable target group, and a canary
target group, in the AWS emulator; prints their ARNs as JSON. Names are unique per call."""
import json, sys
import boto3

name = sys.argv[1]
ec2 = boto3.client("ec2")
elb = boto3.client("elbv2")
vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
subnets = [
    ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"]["SubnetId"]
    for i, az in ((1, "a"), (2, "b"))
]
lb = elb.create_load_balancer(Name=name, Subnets=subnets, Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
def tg(n):
    return elb.create_target_group(Name=n, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
stable = tg(f"{name}-s")
canary = tg(f"{name}-c")
other = tg(f"{name}-o")
forward_stable = [{"Type": "forward", "TargetGroupArn": stable}]
listener = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=forward_stable)["Listeners"][0]["ListenerArn"]
rule = elb.create_rule(
    ListenerArn=listener,
    Priority=10,
    Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
    Actions=forward_stable,
)["Rules"][0]["RuleArn"]
print(json.dumps({"listener": listener, "rule": rule, "stable": stable, "canary": canary, "other": other}))
