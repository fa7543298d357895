<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>讲话稿_TAG标签_文库范文网</title>
<link href="/templets/default/style/dedecms.css" rel="stylesheet" media="screen" type="text/css" />
</head>
<body class="listview">
<div class="header_top"><div class="w960 center"><span class="time">欢迎访问文库范文网</span><div class="toplinks"><a href="/plus/search.php?q=%E8%AE%B2%E8%AF%9D">搜索</a>|<a href="/member/login.php">登录</a>|<a href="/about/">关于我们</a></div></div></div>
<div class="header"><div class="top w960 center"><div class="title"><h1><a href="/">文库范文网</a></h1></div></div>
<div class="module blue mT10 wrapper w963"><div id="navMenu"><ul><li><a href="/"><span>主页</span></a></li><li><a href="/fanwen/"><span>公文范文</span></a></li><li><a href="/tags.php?/%E8%AE%B2%E8%AF%9D%E7%A8%BF/"><span>讲话稿</span></a></li><li><a href="/about/"><span>关于我们</span></a></li></ul></div></div></div>
<div class="w960 center clear mt1">
<div class="place"><strong>当前位置:</strong> <a href="/">主页</a> &gt; TAG标签 &gt; 讲话稿</div>
<div class="pleft"><div class="listbox"><h2>TAG标签：讲话稿</h2><ul class="e2">
<li><a href="/article/1001.html" class="title">2022年示范区党工委理论中心组学习会议讲话(全文)</a><span class="info"><small>日期：</small>2022-09-15</span></li>
<li><a href="/article/1002.html" class="title">关于做好2024年春节期间安全生产工作的通知</a><span class="info"><small>日期：</small>2024-01-25</span></li>
<li><a href="/article/1003.html" class="title">2024年春季开学典礼校长致辞(精选3篇)</a><span class="info"><small>日期：</small>2024-02-26</span></li>
</ul></div></div>
</div>
<div class="footer w960 center mt1 clear"><div class="footer_body"><p class="powered">Powered by <strong>DedeCMS</strong> &copy; 2004-2024 DesDev Inc.</p><div class="copyright">Copyright &copy; 2016-2024 文库范文网 版权所有 浙ICP备16012345号-2</div></div></div>
</body>
</html>
