//! The HTTP API's custom domain (`http.domain`): the API Gateway domain
//! name (regional, TLS 1.2) mapped to the `$default` stage, and with a
//! hosted zone the DNS-validated certificate and the alias record.

use serde_json::json;

use super::refs;
use super::template::{Template, get_att, r#ref, resource};
use crate::manifest::model::{App, Domain, DomainTls};
use crate::names;

pub fn domain(app: &App, d: &Domain, t: &mut Template) {
    let certificate = match &d.tls {
        DomainTls::Certificate(arn) => refs::interp(app, arn),
        DomainTls::Zone(zone) => {
            t.add(
                names::HTTP_API_CERTIFICATE,
                resource(
                    "AWS::CertificateManager::Certificate",
                    json!({
                        "DomainName": d.name,
                        "ValidationMethod": "DNS",
                        "DomainValidationOptions": [
                            { "DomainName": d.name, "HostedZoneId": refs::interp(app, zone) }
                        ],
                    }),
                ),
            );
            r#ref(names::HTTP_API_CERTIFICATE)
        }
    };
    t.add(
        names::HTTP_API_DOMAIN,
        resource(
            "AWS::ApiGatewayV2::DomainName",
            json!({
                "DomainName": d.name,
                "DomainNameConfigurations": [{
                    "CertificateArn": certificate,
                    "EndpointType": "REGIONAL",
                    "SecurityPolicy": "TLS_1_2",
                }],
            }),
        ),
    );
    t.add(
        names::HTTP_API_MAPPING,
        resource(
            "AWS::ApiGatewayV2::ApiMapping",
            json!({
                "ApiId": r#ref(names::HTTP_API),
                "DomainName": r#ref(names::HTTP_API_DOMAIN),
                // `Ref` of the stage is its name, `$default`, and orders the
                // mapping after the stage exists.
                "Stage": r#ref(names::HTTP_API_STAGE),
            }),
        ),
    );
    if let DomainTls::Zone(zone) = &d.tls {
        t.add(
            names::HTTP_API_DNS_RECORD,
            resource(
                "AWS::Route53::RecordSet",
                json!({
                    "HostedZoneId": refs::interp(app, zone),
                    "Name": d.name,
                    "Type": "A",
                    "AliasTarget": {
                        "DNSName": get_att(names::HTTP_API_DOMAIN, "RegionalDomainName"),
                        "HostedZoneId": get_att(names::HTTP_API_DOMAIN, "RegionalHostedZoneId"),
                        "EvaluateTargetHealth": false,
                    },
                }),
            ),
        );
    }
}
