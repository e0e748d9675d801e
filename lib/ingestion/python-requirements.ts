/**
 * The ingestion workers' Python dependencies, every one pinned with the SHA-256 of the file pip
 * installs on Ubuntu 24.04 (Python 3.12, x86_64): the closure of requirements.txt of
 * openstack/ci-log-processing at LOGSCRAPER_GIT_COMMIT, plus setuptools and pbr to build it
 * without fetching build tools. pip installs it with --require-hashes, so a changed file on
 * PyPI (or a mirror) stops the install instead of running.
 *
 * To refresh it after moving LOGSCRAPER_GIT_COMMIT, from a checkout of that commit:
 *   pip install --dry-run --ignore-installed --report report.json --python-version 3.12 \
 *     --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
 *     --only-binary=:all: --target /tmp/unused -r requirements.txt setuptools
 * and write `name==version --hash=sha256:<download_info.archive_info.hashes.sha256>` for each
 * entry of `install` in report.json.
 */
export const WORKER_PYTHON_REQUIREMENTS = `alembic==1.20.1 --hash=sha256:9970712cfb81ea26c8658d378aaa5b8f6ff9146e5bb111d70497c164016cf598
certifi==2026.10.19.post1 --hash=sha256:1324c476b4811eff41a8bc2122cd0bbd4d9c7234c725446d99ab1612b3a7fdd2
charset-normalizer==3.5.3 --hash=sha256:e5e4785d8a0adeadfbdf75f4efc357911842674651cbafd7e97f69b11ec3cbc6
debtcollector==3.1.0 --hash=sha256:c64e49a66c0b71289620fc2fdf89c03d740bddb20576ddd4f04ddc01da946668
Events==0.5 --hash=sha256:a7286af378ba3e46640ac9825156c93bdba7502174dd696090fdfcd4d80a1abd
greenlet==3.5.6 --hash=sha256:975736b002ed080d124cf81a79cb7e05cb26d6b3f5c7a7b651c0fcce70353aa1
grpcio==1.85.3 --hash=sha256:8266434d54c3442ebdba71d97e6f688b73dd00194bda6e1e35e57272afbd2d73
idna==3.20 --hash=sha256:ab7ae7122974553370f0bdb919e1a960b2cd1bc1ef0276416d896db81c14582c
iso8601==2.1.0 --hash=sha256:aac4145c4dcb66ad8b648a02830f5e2ff6c24af20f4f482689be402db2429242
Mako==1.4.3 --hash=sha256:723296007c870bfd6b3f0c3230dba7198096e5269297ebf5e4eff9e7ffa39d4f
MarkupSafe==3.0.4 --hash=sha256:8e124f974786f831d6043728e38296969d3579db8896fe004682f5758e613581
netaddr==1.3.0 --hash=sha256:c2c6a8ebe5554ce33b7d5b3a306b71bbb373e000bbbf2350dd5213cc56e3dbbe
opensearch-protobufs==1.2.0 --hash=sha256:e806730894d0a0c8cdaa3cdbe07e4b7c46e1823f453777b36caf39e9cba28e2c
opensearch-py==3.2.0 --hash=sha256:721a0d3b13fbed9e82278aed748285cf63a1855354ab7e73e3d4992d1b93418b
oslo.config==10.7.0 --hash=sha256:d4e80b535fb208cb15cf0ce6f6fd976eebd694f21dc37e3f3d68a360cbe7eab5
oslo.db==18.1.1 --hash=sha256:d8ba86515e454404a98a6755bc88da116b40b12927840b46fd7b25fbe8d453f9
oslo.i18n==6.9.0 --hash=sha256:354b6cd3ba1acf1f04231f690028fd5b58bd8b7cda7bd9859126bb97152c717b
oslo.utils==10.2.0 --hash=sha256:f33abd2f3c638c00f8736dfdff83a34f433bdb71e3b448d4380809a329917919
packaging==26.4 --hash=sha256:81383611a09c1bc0b08b76e0fd5829d7c6824c65b27a6aee339da133f4233ea2
pbr==7.1.3 --hash=sha256:6583e878a1d97cb135fdc509811f31b9235905cde8d4dacd3dbadf9efc45d745
prometheus_client==0.26.0 --hash=sha256:fa93d06737aa02bacd05794768508bb97d2fbee28cb3bca04eaae92f0ca953d6
protobuf==7.36.2 --hash=sha256:89f23aa53c24553a2416fd4fd1ec06f74fa42b14b546d8883128813f775bbfd2
psutil==7.2.2 --hash=sha256:076a2d2f923fd4821644f5ba89f059523da90dc9014e85f8e45a5774ca5bc6f9
pyparsing==3.3.3 --hash=sha256:ece8c00a69cf01b45d0b1dedabb469c90d8caf996d4fda40f147627a122849a4
python-dateutil==4.0.0 --hash=sha256:a5e246f79eb80475e691bf93862cead98decd8a498cf53ba0516fcdc0f50dc1c
python-subunit==1.4.6 --hash=sha256:931a0c89709105b23095b9a2c6d7fe904a232aa7a450ce43e15317c82819c22d
PyYAML==6.0.4 --hash=sha256:93bfb2459195406a518e2f487a9bbf01df240175f31e06f5a252ac6734c7bbf0
requests==2.34.2 --hash=sha256:2a0d60c172f83ac6ab31e4554906c0f3b3588d37b5cb939b1c061f4907e278e0
rfc3986==2.0.0 --hash=sha256:50b1502b60e289cb37883f3dfd34532b8873c7de9f49bb546641ce9cbd256ebd
ruamel.yaml==0.19.1 --hash=sha256:27592957fedf6e0b62f281e96effd28043345e0e66001f97683aa9a40c667c93
setuptools==84.2.1 --hash=sha256:ca140b45d5325a9478f880e351484f62fef15f336462e449ca0c03c873d589c2
six==1.17.0 --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274
SQLAlchemy==2.1.9 --hash=sha256:fcff5267a11d865efaff9ffc37ba3c8eab775bb4f4880a957c13dd7e63df5469
stevedore==5.10.0 --hash=sha256:47c48dc09e75933106c1bba0a7690eef3b5acecdb807df6d47cc40b2532fa927
subunit2sql==1.10.0 --hash=sha256:5acd07f9021ec937ea3d2d679792844216e0365a6970e3bc56987846b1dccb7c
tenacity==9.2.1 --hash=sha256:9e56f17539296baab7beabb08b92f6ee3d7be92d8be72d763360677c2ad6580e
testresources==2.1.2 --hash=sha256:9158997b8373a80a19809858d052c3321108651c585f83c026cc801b1b34190d
testscenarios==0.7.0 --hash=sha256:db07d765e842d56ef714899062ee2b0945439c45a0ed3ee223e9a9050805420f
testtools==2.9.1 --hash=sha256:faf2d689b3614d87459f7f715fc8349a3f77a252486b104d0cfe635b44326895
typing_extensions==4.16.0 --hash=sha256:481caa481374e813c1b176ada14e97f1f67a4539ce9cfeb3f350d78d6370c2e8
tzdata==2026.6 --hash=sha256:0a10eec6e13ef16b627fabed9a5f2ba61a62b1c67f327305f4e7e412a70b4aec
urllib3==2.8.0 --hash=sha256:0cf3cae568d36aa9576b28dfb35f11328f1cb974ca7647d9475ebb86c75ac6e3
wrapt==2.5.2 --hash=sha256:092472b7b1494deef40dac5e9f6295013a9d51b112b5fbc4350f64dc2574e46a
`;
