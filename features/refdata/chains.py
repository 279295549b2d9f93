# ruff: noqa: E501  (data tables: one row per line reads better than wrapped rows)
"""The programme's priority industry chains (产业链), written as data.

Each chain is a small DAG of nodes from upstream (tier 0) to downstream; an edge ``src -> dst``
means firms at ``src`` supply firms at ``dst``. Every node lists the GB/T 4754-2017 classes
(4-digit) whose firms make it and Chinese product keywords used to match firms' product text.
Sources: the chain descriptions of the 2021 pairing plan and the 2023 work plan (smart sensors
in 蚌埠, 中药 in 亳州, silicon-based materials in 凤阳/蚌埠), with the classes chosen by reading
the standard's class names.
"""

from __future__ import annotations

import pandas as pd

# chain_id: (name, name_en, nodes, edges)
# node: (local id, name, name_en, tier, gbt classes, keywords)
Node = tuple[str, str, str, int, str, str]
CHAINS: dict[str, tuple[str, str, list[Node], list[tuple[str, str]]]] = {
    "sensor": (
        "智能传感器", "Smart sensors",
        [
            ("wafer", "硅片与敏感材料", "Wafers and sensing materials", 0, "3985;3218", "硅片;晶圆;SOI;压电材料;敏感材料"),
            ("mems_chip", "MEMS芯片", "MEMS chips", 1, "3973;3983", "MEMS芯片;MEMS;传感器芯片;敏感元件"),
            ("asic", "信号调理芯片设计", "Signal-conditioning chip design", 1, "6520", "ASIC;信号调理芯片;芯片设计"),
            ("packaging", "封装测试", "Packaging and test", 2, "3973;3979", "封装;测试;封测;传感器封装"),
            ("module", "传感器模组", "Sensor modules", 3, "3983;4011;4028", "传感器;传感器模组;压力传感器;温湿度传感器;气体传感器;惯性传感器"),
            ("auto_electronics", "汽车电子", "Automotive electronics", 4, "3670;3962", "汽车电子;车载传感器;智能车载;ADAS"),
            ("smart_terminal", "智能终端", "Smart terminals", 4, "3922;3961;3969", "智能终端;智能手机;可穿戴;智能家居"),
            ("industrial_iot", "工业物联网", "Industrial IoT", 4, "4011;6532", "物联网;工业控制;智能仪表;工业互联网"),
        ],
        [("wafer", "mems_chip"), ("mems_chip", "packaging"), ("asic", "packaging"),
         ("packaging", "module"), ("module", "auto_electronics"), ("module", "smart_terminal"),
         ("module", "industrial_iot")],
    ),
    "ic": (
        "集成电路", "Integrated circuits",
        [
            ("chemicals", "电子化学品", "Electronic chemicals", 0, "2662;3985", "电子化学品;光刻胶;湿电子化学品;电子特气;靶材"),
            ("silicon", "硅材料", "Silicon materials", 0, "3218;3985", "多晶硅;单晶硅;硅片;硅材料;晶圆材料"),
            ("equipment", "半导体设备", "Semiconductor equipment", 0, "3562", "半导体设备;刻蚀机;光刻机;薄膜沉积"),
            ("design", "芯片设计", "Chip design", 1, "6520", "芯片设计;集成电路设计;IC设计;EDA"),
            ("fab", "晶圆制造", "Wafer fabrication", 2, "3973", "晶圆制造;晶圆代工;流片;芯片制造"),
            ("package", "封装测试", "Packaging and test", 3, "3973", "封装测试;封测;芯片封装;先进封装"),
            ("components", "电子元器件", "Electronic components", 4, "3972;3981;3982;3989", "电子元器件;分立器件;功率器件;电路板;PCB;被动元件"),
            ("devices", "电子整机", "Electronic equipment", 5, "3911;3921;3922;3962", "计算机;通信设备;智能终端;车载电子;服务器"),
        ],
        [("chemicals", "fab"), ("silicon", "fab"), ("equipment", "fab"), ("design", "fab"),
         ("fab", "package"), ("package", "components"), ("package", "devices"),
         ("components", "devices")],
    ),
    "nev": (
        "新能源汽车及零部件", "New-energy vehicles and parts",
        [
            ("lithium", "锂矿与锂盐", "Lithium ore and salts", 0, "0939;2613;3239", "锂矿;碳酸锂;氢氧化锂;锂盐"),
            ("steel_alu", "钢铝材料", "Steel and aluminium", 0, "3130;3252", "汽车板;钢材;铝型材;铝板带"),
            ("electrode", "正负极材料", "Electrode materials", 1, "3985;3091;2613", "正极材料;负极材料;磷酸铁锂;三元材料;石墨负极;电解液;隔膜"),
            ("battery", "动力电池", "Traction batteries", 2, "3841", "动力电池;锂电池;电芯;电池包;储能电池"),
            ("motor", "电机电控", "Motors and controllers", 2, "3812;3813;3824", "驱动电机;电控;电机;IGBT;逆变器;电驱动"),
            ("electronics", "汽车电子", "Vehicle electronics", 2, "3962;3670", "车载电子;智能座舱;自动驾驶;汽车电子"),
            ("parts", "汽车零部件", "Vehicle parts", 3, "3670;2911;3660", "汽车零部件;汽车零配件;底盘;车身;轮胎;热管理;线束"),
            ("vehicle", "整车", "Vehicles", 4, "3612", "新能源汽车;整车;电动汽车;新能源车"),
        ],
        [("lithium", "electrode"), ("electrode", "battery"), ("battery", "vehicle"),
         ("motor", "parts"), ("steel_alu", "parts"), ("parts", "vehicle"),
         ("electronics", "vehicle")],
    ),
    "newmat": (
        "新材料/硅基材料", "New materials (silicon-based)",
        [
            ("quartz_sand", "石英砂", "Quartz sand", 0, "1019;1099", "石英砂;石英岩;硅砂"),
            ("silicon", "硅材料", "Silicon materials", 1, "3218;3985", "工业硅;多晶硅;单晶硅;硅料;硅基新材料"),
            ("pv_glass", "光伏玻璃", "Photovoltaic glass", 1, "3041;3042;3051", "光伏玻璃;超白玻璃;压延玻璃;玻璃基板;玻璃"),
            ("wafer_cell", "硅片与电池片", "Wafers and cells", 2, "3825", "硅片;电池片;光伏电池"),
            ("pv_module", "光伏组件", "PV modules", 3, "3825", "光伏组件;太阳能电池组件;光伏"),
            ("pv_station", "光伏电站", "PV power plants", 4, "4416", "光伏电站;分布式光伏;太阳能发电"),
        ],
        [("quartz_sand", "silicon"), ("quartz_sand", "pv_glass"), ("silicon", "wafer_cell"),
         ("wafer_cell", "pv_module"), ("pv_glass", "pv_module"), ("pv_module", "pv_station")],
    ),
    "biomed": (
        "生物医药/现代中药", "Biomedicine and modern Chinese medicine",
        [
            ("herb_planting", "中药材种植", "Medicinal herb growing", 0, "0171;0179", "中药材;药材种植;白芍;亳菊;中草药"),
            ("herb_trade", "中药材仓储交易", "Herb storage and trade", 1, "5960;5152", "中药材仓储;中药材市场;药材交易;中药材批发"),
            ("decoction_pieces", "中药饮片", "Decoction pieces", 2, "2730", "中药饮片;饮片;配方颗粒"),
            ("api", "原料药", "Active pharmaceutical ingredients", 2, "2710;2761", "原料药;化学原料药;植物提取物;医药中间体"),
            ("excipients", "药用辅料及包装", "Excipients and packaging", 2, "2780", "药用辅料;药品包装;胶囊壳"),
            ("med_materials", "医用材料", "Medical materials", 2, "2770;2915", "医用敷料;卫生材料;医用耗材;医用高分子"),
            ("formulation", "制剂与中成药", "Formulations and patent medicines", 3, "2720;2740;2762", "中成药;制剂;片剂;注射剂;胶囊;生物制品;疫苗"),
            ("devices", "医疗器械", "Medical devices", 4, "3581;3584;3589", "医疗器械;诊断设备;监护设备;手术器械"),
            ("distribution", "医药流通", "Pharmaceutical distribution", 5, "5151;5152;5154", "医药流通;医药批发;药品配送"),
        ],
        [("herb_planting", "herb_trade"), ("herb_planting", "decoction_pieces"),
         ("herb_trade", "decoction_pieces"), ("decoction_pieces", "formulation"),
         ("api", "formulation"), ("excipients", "formulation"), ("med_materials", "devices"),
         ("formulation", "distribution"), ("devices", "distribution")],
    ),
    "food": (
        "绿色食品/农副产品加工", "Green food and farm-product processing",
        [
            ("grain", "粮食种植", "Grain growing", 0, "0111;0112;0113;0121", "小麦;玉米;大豆;稻谷;粮食"),
            ("livestock", "畜禽养殖", "Livestock and poultry", 0, "0311;0313;0314;0321", "生猪;肉牛;肉羊;家禽;养殖"),
            ("fruit_veg", "果蔬种植", "Fruit and vegetables", 0, "0141;0151", "蔬菜;水果;酥梨;果蔬"),
            ("packaging", "食品包装", "Food packaging", 1, "2231;2926;3333", "包装;纸箱;塑料包装;金属罐"),
            ("agri_processing", "农副食品加工", "Farm-product processing", 1, "1311;1312;1313;1331;1351;1353;1371;1373", "面粉;粮油加工;屠宰;肉制品;果蔬加工;农副产品加工"),
            ("food_mfg", "食品制造", "Food manufacturing", 2, "1411;1431;1432;1441;1469;1491", "食品;方便食品;速冻食品;乳制品;调味品;烘焙"),
            ("beverage", "酒与饮料", "Liquor and beverages", 2, "1512;1523;1524", "白酒;饮料;果汁;植物蛋白饮料"),
            ("cold_chain", "冷链物流", "Cold-chain logistics", 3, "5930;5432", "冷链;冷库;冷藏运输;低温仓储"),
            ("wholesale", "批发与商超", "Wholesale and retail", 4, "5121;5124", "农产品批发;生鲜电商;商超;食品批发"),
        ],
        [("grain", "agri_processing"), ("livestock", "agri_processing"),
         ("fruit_veg", "agri_processing"), ("agri_processing", "food_mfg"),
         ("agri_processing", "beverage"), ("packaging", "food_mfg"), ("packaging", "beverage"),
         ("food_mfg", "cold_chain"), ("cold_chain", "wholesale"), ("beverage", "wholesale")],
    ),
    "equip": (
        "高端装备", "High-end equipment",
        [
            ("steel", "钢材", "Steel", 0, "3120;3130", "钢材;特钢;钢板;型钢"),
            ("castings", "铸锻件", "Castings and forgings", 1, "3391;3392;3393", "铸件;锻件;铸造;锻造"),
            ("components", "基础零部件", "Basic components", 2, "3444;3451;3452;3453;3481;3482", "轴承;齿轮;液压件;减速器;密封件;紧固件"),
            ("controls", "数控与伺服系统", "CNC and servo systems", 2, "4011;3813;3914", "数控系统;伺服电机;PLC;控制器"),
            ("machine_tools", "数控机床", "CNC machine tools", 3, "3421;3422;3425", "数控机床;加工中心;机床"),
            ("robots", "工业机器人", "Industrial robots", 3, "3491;3492", "工业机器人;机械臂;协作机器人"),
            ("intelligent", "智能制造装备", "Intelligent manufacturing equipment", 4, "3493;3499;3511;3514;3599", "智能制造装备;生产线;成套装备;工程机械;矿山机械"),
        ],
        [("steel", "castings"), ("steel", "components"), ("castings", "components"),
         ("components", "machine_tools"), ("components", "robots"), ("controls", "machine_tools"),
         ("controls", "robots"), ("machine_tools", "intelligent"), ("robots", "intelligent")],
    ),
}  # fmt: skip

CHAIN_COLUMNS = ["chain_id", "name", "name_en"]
NODE_COLUMNS = ["node_id", "chain_id", "name", "name_en", "tier", "gbt_classes", "keywords"]
EDGE_COLUMNS = ["src", "dst", "chain_id"]


def build_chain_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Chains, nodes and edges from :data:`CHAINS`.

    Returns
    -------
    chains : ``chain_id``, ``name``, ``name_en``.
    chain_nodes : ``node_id`` ('sensor.mems_chip'), ``chain_id``, ``name``, ``name_en``,
        ``tier``, ``gbt_classes`` (';'-joined 4-digit), ``keywords`` (';'-joined).
    chain_edges : ``src``, ``dst``, ``chain_id`` (src supplies dst).
    """
    chains, nodes, edges = [], [], []
    for chain_id, (name, name_en, chain_nodes, chain_edges) in CHAINS.items():
        chains.append((chain_id, name, name_en))
        for local, n_name, n_en, tier, classes, keywords in chain_nodes:
            nodes.append((f"{chain_id}.{local}", chain_id, n_name, n_en, tier, classes, keywords))
        for src, dst in chain_edges:
            edges.append((f"{chain_id}.{src}", f"{chain_id}.{dst}", chain_id))
    return (
        pd.DataFrame(chains, columns=CHAIN_COLUMNS),
        pd.DataFrame(nodes, columns=NODE_COLUMNS),
        pd.DataFrame(edges, columns=EDGE_COLUMNS),
    )
